#include "core/history_row.hpp"

#include <gtest/gtest.h>

#include <iterator>
#include <map>
#include <set>
#include <string>

using namespace usage_archive::core;

namespace {

// Every value field of a record, each with a value of its own.
UsageRecord record_with_distinct_values(bool has_breakdown) {
    UsageRecord r;
    r.has_breakdown = has_breakdown;
    r.consumed = 1;
    r.priority = 2;
    r.opt_in_priority = 3;
    r.standard = 4;
    r.non_billable = 5;
    return r;
}

} // namespace

TEST(HistoryRow, EachColumnTakesItsOwnField) {
    const StoredUsage stored = stored_form(record_with_distinct_values(true));
    const std::map<std::string, MilliGb> expected = {{"consumed_gb", 1},        {"priority_gb", 2},
                                                     {"opt_in_priority_gb", 3}, {"standard_gb", 4},
                                                     {"non_billable_gb", 5}};
    ASSERT_EQ(expected.size(), kHistoryValueCount);
    for (std::size_t i = 0; i < kHistoryValueCount; ++i) {
        ASSERT_TRUE(stored[i].has_value()) << kHistoryValueColumns[i].name;
        EXPECT_EQ(*stored[i], expected.at(kHistoryValueColumns[i].name)) << kHistoryValueColumns[i].name;
    }
}

TEST(HistoryRow, NoBreakdownMeansNull) {
    const StoredUsage stored = stored_form(record_with_distinct_values(false));
    for (std::size_t i = 0; i < kHistoryValueCount; ++i)
        EXPECT_EQ(stored[i].has_value(), !kHistoryValueColumns[i].from_breakdown) << kHistoryValueColumns[i].name;
    EXPECT_EQ(stored[0], 1) << "consumed_gb is the simple kind's usage_gb";
}

TEST(HistoryRow, WrittenColumnsAreTheTableOrder) {
    const char *const table_order[] = {"service_line_id", "usage_date",  "consumed_gb",     "priority_gb",
                                       "opt_in_priority_gb", "standard_gb", "non_billable_gb", "last_run_id"};
    ASSERT_EQ(kHistoryWrittenColumnCount, std::size(table_order));
    std::set<std::string> seen;
    for (std::size_t i = 0; i < kHistoryWrittenColumnCount; ++i) {
        EXPECT_STREQ(history_written_column(i), table_order[i]);
        EXPECT_TRUE(seen.insert(history_written_column(i)).second) << "named twice: " << history_written_column(i);
    }
}
