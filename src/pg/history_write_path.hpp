// Which path a run writes new rows by: the table inspection that decides between COPY and SQL
// statements (docs/design-notes.md, "When COPY is not used").
#pragma once

#include "pg_prelude.hpp"

namespace usage_archive::pg {

// What the write paths must know about daily_usage_history for this run.
struct HistoryTableTraits {
    // Why COPY must not be used (row-level security, rules, another extension managing the
    // table, missing INSERT privilege, or usage_archive.write_method = sql); nullptr if it may.
    const char *copy_refusal;
    // INSERT ... ON CONFLICT is not allowed on a table with INSERT or UPDATE rules.
    bool has_rules;
    // The table's only triggers are those of its foreign key to service_lines: COPY may then
    // check that key for the whole batch at once instead of row by row (service_line_key_check.hpp).
    bool only_service_line_key_triggers;
};

HistoryTableTraits inspect_history_table();

// Read without a lasting lock, when a run starts.
HistoryTableTraits inspect_history_table();

// The same, read with RowExclusiveLock, kept until the transaction ends: nobody can add a
// trigger, a rule or row-level security before the COPY that asks is done.
HistoryTableTraits inspect_history_table_for_copy();

// daily_usage_history's oid.
Oid history_table_oid();

} // namespace usage_archive::pg
