// The fast path for new rows: PostgreSQL's own COPY FROM machinery, fed from memory in
// binary format through its data-source callback. COPY multi-inserts (one WAL record and one
// buffer lock per page of rows instead of per row) and fires triggers and checks constraints
// like any insert. It does not apply what only an INSERT statement honours, so it is used
// only where nothing of that kind is in play.
#pragma once

#include "history_write_path.hpp"
#include "write_batch.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace usage_archive::pg {

// Inserts the fresh items at `which` in a subtransaction and returns the number of rows.
// Returns nullopt, having rolled the subtransaction back, when another session inserted one
// of the keys first (unique violation) or changed the table so that COPY no longer fits (a
// trigger, rule or policy added since inspect_history_table): the caller then writes through
// SQL, which honours everything and handles conflicts row by row. Other errors propagate.
//
// The foreign key to service_lines is normally checked by a trigger per row: a query, and a
// FOR KEY SHARE lock of the parent row, for every inserted row, most of a load's time. When
// those are the table's only triggers, the batch is checked at once (service_line_key_check)
// and the per-row triggers are skipped for this COPY (session_replication_role = replica,
// restored after).
std::optional<std::uint64_t> copy_insert(const WriteBatch &batch, const std::vector<std::size_t> &which,
                                         std::int64_t run_id, const HistoryTableTraits &traits);

} // namespace usage_archive::pg
