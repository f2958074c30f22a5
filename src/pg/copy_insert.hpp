// The fast path for new rows: PostgreSQL's own COPY FROM machinery, fed from memory in
// binary format through its data-source callback. COPY multi-inserts (one WAL record and one
// buffer lock per page of rows instead of per row) and fires triggers and checks constraints
// like any insert. It does not apply what only an INSERT statement honours, so it is used
// only where nothing of that kind is in play.
#pragma once

#include "write_batch.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace usage_archive::pg {

// What the write paths must know about daily_usage_history for this run.
struct HistoryTableTraits {
    // Why COPY must not be used (row-level security, rules, another extension managing the
    // table, missing INSERT privilege, or usage_archive.write_method = sql); nullptr if it may.
    const char *copy_refusal;
    // INSERT ... ON CONFLICT is not allowed on a table with INSERT or UPDATE rules.
    bool has_rules;
};

HistoryTableTraits inspect_history_table();

// Inserts the fresh items at `which` in a subtransaction and returns the number of rows.
// Returns nullopt, having rolled the subtransaction back, when another session inserted one
// of the keys first (unique violation): the caller then writes through SQL, which handles
// conflicts row by row. Any other error propagates.
std::optional<std::uint64_t> copy_insert(const WriteBatch &batch, const std::vector<std::size_t> &which,
                                         std::int64_t run_id);

} // namespace usage_archive::pg
