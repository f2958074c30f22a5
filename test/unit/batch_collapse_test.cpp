#include "core/batch_collapse.hpp"

#include <gtest/gtest.h>

using namespace usage_archive::core;

namespace {
UsageRecord rec(std::uint32_t line, std::int32_t day, std::uint32_t ordinal, MilliGb consumed) {
    UsageRecord r;
    r.line = line;
    r.day = day;
    r.ordinal = ordinal;
    r.consumed = consumed;
    return r;
}
} // namespace

TEST(BatchCollapse, LastOccurrenceInThePayloadWins) {
    std::vector<UsageRecord> v = {rec(0, 5, 0, 100), rec(1, 5, 1, 7), rec(0, 5, 2, 250), rec(0, 4, 3, 1), rec(0, 5, 4, 300)};
    EXPECT_EQ(collapse_duplicates(v), 2u);
    ASSERT_EQ(v.size(), 3u);
    EXPECT_EQ(v[0].day, 4);
    EXPECT_EQ(v[1].consumed, 300);
    EXPECT_EQ(v[2].line, 1u);
}

TEST(BatchCollapse, NoDuplicatesNothingCollapsed) {
    std::vector<UsageRecord> v = {rec(1, 1, 0, 1), rec(0, 2, 1, 2), rec(0, 1, 2, 3)};
    EXPECT_EQ(collapse_duplicates(v), 0u);
    ASSERT_EQ(v.size(), 3u);
    EXPECT_EQ(v[0].line, 0u); // sorted by (line, day) for the writer
    EXPECT_EQ(v[0].day, 1);
}

TEST(BatchCollapse, EmptyIsFine) {
    std::vector<UsageRecord> v;
    EXPECT_EQ(collapse_duplicates(v), 0u);
}
