#include "core/batch_collapse.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <stdexcept>

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

namespace {
int progress_calls = 0;
int throw_at = -1;
void count_progress() {
    if (++progress_calls == throw_at)
        throw std::runtime_error("cancelled");
}

// Two million records of 4,000 lines x 500 days with every 50th key repeated later, in
// payload order (sorted) or shuffled.
std::vector<UsageRecord> many_records(bool shuffled) {
    std::vector<UsageRecord> v;
    std::uint32_t ordinal = 0;
    for (std::uint32_t line = 0; line < 4000; ++line)
        for (std::int32_t day = 0; day < 500; ++day)
            v.push_back(rec(line, day, ordinal++, day));
    const std::size_t originals = v.size();
    for (std::size_t i = 0; i < originals; i += 50)
        v.push_back(rec(v[i].line, v[i].day, ordinal++, 7));
    if (shuffled)
        std::shuffle(v.begin(), v.end(), std::mt19937(42));
    return v;
}
} // namespace

// The sort of a large payload is cancellable: the hook is called between steps of at most a
// few hundred thousand records (one std::sort of millions could not be interrupted).
TEST(BatchCollapse, LargeShuffledPayloadSameResultWithProgress) {
    std::vector<UsageRecord> v = many_records(true);
    progress_calls = 0;
    throw_at = -1;
    const std::size_t collapsed = collapse_duplicates(v, &count_progress);
    EXPECT_EQ(collapsed, 40000u);
    ASSERT_EQ(v.size(), 2000000u);
    EXPECT_GE(progress_calls, 8);
    for (std::size_t i = 0; i < v.size(); ++i) {
        ASSERT_EQ(v[i].line, i / 500);
        ASSERT_EQ(v[i].day, static_cast<std::int32_t>(i % 500));
        ASSERT_EQ(v[i].consumed, i % 50 == 0 ? 7 : static_cast<MilliGb>(i % 500)) << i; // the later copy won
    }
}

TEST(BatchCollapse, SortedPayloadIsCheckedNotSorted) {
    std::vector<UsageRecord> v = many_records(false);
    v.resize(2000000); // no duplicates: in order
    progress_calls = 0;
    throw_at = -1;
    EXPECT_EQ(collapse_duplicates(v, &count_progress), 0u);
    EXPECT_GE(progress_calls, 7);
    EXPECT_EQ(v.back().line, 3999u);
}

TEST(BatchCollapse, AThrowingHookStopsTheSort) {
    std::vector<UsageRecord> v = many_records(true);
    progress_calls = 0;
    throw_at = 3;
    EXPECT_THROW(collapse_duplicates(v, &count_progress), std::runtime_error);
    EXPECT_EQ(progress_calls, 3);
    EXPECT_EQ(v.size(), 2040000u);
}
