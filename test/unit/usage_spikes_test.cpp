#include "core/usage_spikes.hpp"

#include <gtest/gtest.h>

using namespace usage_archive::core;

namespace {

// `count` consecutive days from day 0 with the same value.
std::vector<DailyValue> steady(int count, MilliGb value) {
    std::vector<DailyValue> days;
    for (int d = 0; d < count; ++d)
        days.push_back(DailyValue{d, value});
    return days;
}

} // namespace

TEST(UsageSpikes, ADayAboveFactorTimesTheTrailingMedianAndTheFloor) {
    std::vector<DailyValue> days = steady(40, 20000); // 20 GB a day
    days[35].value = 61000;                           // 3.05x
    days[36].value = 59000;                           // 2.95x: not a spike
    const std::vector<Spike> spikes = find_spikes(days, 0, 0, SpikeRule{});
    ASSERT_EQ(spikes.size(), 1u);
    EXPECT_EQ(spikes[0].day, 35);
    EXPECT_EQ(spikes[0].value, 61000);
    EXPECT_EQ(spikes[0].median, 20000);
}

TEST(UsageSpikes, AbsentDaysAreZerosOnlyFromTheFirstDayOn) {
    // Usage on every other day: the median of 28 days with 14 zeros is (0 + 20 GB) / 2.
    std::vector<DailyValue> days;
    for (int d = 100; d < 128; d += 2)
        days.push_back(DailyValue{d, 20000});
    days.push_back(DailyValue{128, 31000});
    std::vector<Spike> spikes = find_spikes(days, 100, 128, SpikeRule{});
    ASSERT_EQ(spikes.size(), 1u) << "31 GB > 3 x 10 GB";
    EXPECT_EQ(spikes[0].median, 10000);
    // Day 110 after five such days: archived since day 100, ten days are too little history;
    // archived since day 90, the ten days before 100 are idle ones and the median is zero.
    days.clear();
    for (int d = 100; d < 110; d += 2)
        days.push_back(DailyValue{d, 20000});
    days.push_back(DailyValue{110, 31000});
    EXPECT_TRUE(find_spikes(days, 100, 110, SpikeRule{}).empty());
    spikes = find_spikes(days, 90, 110, SpikeRule{});
    ASSERT_EQ(spikes.size(), 1u);
    EXPECT_EQ(spikes[0].median, 0);
}

TEST(UsageSpikes, TheFloorAndTooLittleHistoryAreNotSpikes) {
    std::vector<DailyValue> days = steady(40, 1000); // 1 GB a day
    days[30].value = 9000;                           // 9x, below the 10 GB floor
    days[31].value = 12000;                          // 12x and above it
    EXPECT_EQ(find_spikes(days, 0, 0, SpikeRule{}).size(), 1u);
    days = steady(10, 1000);
    days[9].value = 50000; // only nine days of history
    EXPECT_TRUE(find_spikes(days, 0, 0, SpikeRule{}).empty());
}

TEST(UsageSpikes, OnlyDaysFromTheGivenDayAreJudged) {
    std::vector<DailyValue> days = steady(60, 20000);
    days[30].value = 90000;
    days[50].value = 90000;
    const std::vector<Spike> spikes = find_spikes(days, 0, 40, SpikeRule{});
    ASSERT_EQ(spikes.size(), 1u);
    EXPECT_EQ(spikes[0].day, 50);
}

TEST(UsageSpikes, EvenWindowsAverageTheMiddleValues) {
    SpikeRule rule;
    rule.window_days = 4;
    rule.min_history_days = 4;
    rule.floor = 0;
    const std::vector<DailyValue> days = {{0, 1000}, {1, 2000}, {2, 3000}, {3, 4000}, {4, 7600}};
    const std::vector<Spike> spikes = find_spikes(days, 0, 4, rule);
    ASSERT_EQ(spikes.size(), 1u);
    EXPECT_EQ(spikes[0].median, 2500);
}

TEST(UsageSpikes, DaysTheApiNeverAnsweredForAreLeftOut) {
    // 20 GB every day but a two-week outage of the archive (days 10..23 never covered), then
    // 35 GB on day 30: with the outage as zeros the median would be 0 and 35 GB a spike.
    std::vector<DailyValue> days;
    for (int d = 0; d < 30; ++d)
        if (d < 10 || d > 23)
            days.push_back(DailyValue{d, 20000});
    days.push_back(DailyValue{30, 35000});
    const std::vector<DayRange> covered = {{0, 9}, {24, 40}};
    EXPECT_TRUE(find_spikes(days, 0, 30, SpikeRule{}, covered).empty()) << "16 known days, median 20 GB";
    EXPECT_EQ(find_spikes(days, 0, 30, SpikeRule{}).size(), 1u) << "without coverage, the outage counts as zeros";
    // Covered but not listed: zeros. Days 10..23 covered and absent: 14 zeros of 30.
    const std::vector<DayRange> all = {{0, 40}};
    const std::vector<Spike> spikes = find_spikes(days, 0, 30, SpikeRule{}, all);
    ASSERT_EQ(spikes.size(), 1u);
    EXPECT_EQ(spikes[0].median, 10000) << "14 values of 20 GB and 14 zeros in the window";
}
