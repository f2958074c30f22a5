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
    // The table's only triggers are those of its foreign key to service_lines: COPY may then
    // check that key for the whole batch at once instead of row by row (see copy_insert).
    bool only_service_line_key_triggers;
};

HistoryTableTraits inspect_history_table();

// Inserts the fresh items at `which` in a subtransaction and returns the number of rows.
// Returns nullopt, having rolled the subtransaction back, when another session inserted one
// of the keys first (unique violation) or changed the table so that COPY no longer fits (a
// trigger, rule or policy added since inspect_history_table): the caller then writes through
// SQL, which honours everything and handles conflicts row by row. Other errors propagate.
//
// The foreign key to service_lines is normally checked by a trigger per row: a query, and a
// FOR KEY SHARE lock of the parent row, for every inserted row, most of a load's time. When
// those are the table's only triggers, the batch's parents are locked FOR KEY SHARE and
// counted in one statement (the very guarantee the per-row check gives) and the per-row
// triggers are skipped for this COPY (session_replication_role = replica, restored after).
std::optional<std::uint64_t> copy_insert(const WriteBatch &batch, const std::vector<std::size_t> &which,
                                         std::int64_t run_id, const HistoryTableTraits &traits);

} // namespace usage_archive::pg
