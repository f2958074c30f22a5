// daily_usage_history, described once. The COPY tuple, the SQL statements that insert,
// update and read it (src/core/history_sql.hpp), the audit row of usage_corrections, and the
// tolerance check all derive their columns from this description, so a new value column is
// one entry in kHistoryValueColumns (and the upgrade script that adds it).
#pragma once

#include "usage_record.hpp"

#include <array>
#include <cstddef>
#include <optional>

namespace usage_archive::core {

// The table's primary key, (service_line_id, usage_date), in its order.
inline constexpr const char *kHistoryKeyColumns[] = {"service_line_id", "usage_date"};
// The run that wrote the row last.
inline constexpr const char *kHistoryRunColumn = "last_run_id";

// A numeric(14,3) column of thousandths of a GB and where a record carries its value.
struct HistoryValueColumn {
    const char *name;            // the column of daily_usage_history
    MilliGb UsageRecord::*field; // the record's value for it
    // Part of the starlink breakdown: NULL in the table for a record without one (simple).
    bool from_breakdown;
};

// The value columns in table order: after the key, before last_run_id.
inline constexpr std::array<HistoryValueColumn, 5> kHistoryValueColumns{{
    {"consumed_gb", &UsageRecord::consumed, false},
    {"priority_gb", &UsageRecord::priority, true},
    {"opt_in_priority_gb", &UsageRecord::opt_in_priority, true},
    {"standard_gb", &UsageRecord::standard, true},
    {"non_billable_gb", &UsageRecord::non_billable, true},
}};
inline constexpr std::size_t kHistoryValueCount = kHistoryValueColumns.size();

// Every column a write names, in table order: the key, the value columns, last_run_id.
inline constexpr std::size_t kHistoryWrittenColumnCount = 2 + kHistoryValueCount + 1;
constexpr const char *history_written_column(std::size_t i) {
    return i < 2 ? kHistoryKeyColumns[i] : i < 2 + kHistoryValueCount ? kHistoryValueColumns[i - 2].name : kHistoryRunColumn;
}

// The value columns of one archived day as stored, in kHistoryValueColumns order (SQL NULL
// is nullopt).
using StoredUsage = std::array<std::optional<MilliGb>, kHistoryValueCount>;

// What the table holds for a record: every value column, the breakdown's NULL when it has none.
StoredUsage stored_form(const UsageRecord &record);

} // namespace usage_archive::core
