// Writes through SQL statements, a chunk of rows per statement (unnest of arrays): the path
// that honours everything an INSERT or UPDATE statement does, and the one that resolves
// conflicts with concurrent writers row by row.
#pragma once

#include "write_batch.hpp"

#include <cstdint>
#include <vector>

namespace usage_archive::pg {

// INSERT ... ON CONFLICT DO NOTHING of the fresh items at `which`. Adds the rows written
// to *inserted and returns the items whose key someone else inserted meanwhile. With
// `has_rules`, a plain INSERT (PostgreSQL refuses ON CONFLICT there): a concurrent insert
// of the same key then fails the run with a unique violation instead.
std::vector<std::size_t> sql_insert(const WriteBatch &batch, const std::vector<std::size_t> &which,
                                    std::int64_t run_id, bool has_rules, std::uint64_t *inserted);

// UPDATE of the changed items at `which` (with the caller's rights), then the old and new
// values of each updated row recorded in usage_corrections (with its owner's rights). Adds the rows updated to *updated and returns
// the items whose row has vanished meanwhile.
std::vector<std::size_t> sql_update(const WriteBatch &batch, const std::vector<std::size_t> &which,
                                    std::int64_t run_id, std::uint64_t *updated);

// The rows this run inserted earlier, given a later record of the same day (the same line on
// a later page): the later record wins as if it had been the one inserted, so the row is
// overwritten without an audit row and counts nowhere (the day counted as inserted already).
// Adds the rows written to *written and returns the items whose row is not there.
std::vector<std::size_t> sql_overwrite_own_rows(const WriteBatch &batch, const std::vector<std::size_t> &which,
                                                std::int64_t run_id, std::uint64_t *written);

} // namespace usage_archive::pg
