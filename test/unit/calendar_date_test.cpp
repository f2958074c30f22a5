#include "core/calendar_date.hpp"

#include <gtest/gtest.h>

using namespace usage_archive::core;

TEST(CalendarDate, EpochIsPostgresDateEpoch) {
    EXPECT_EQ(days_since_2000({2000, 1, 1}), 0);
    EXPECT_EQ(days_since_2000({1999, 12, 31}), -1);
    EXPECT_EQ(days_since_2000({2025, 10, 1}), 9405); // SELECT '2025-10-01'::date - '2000-01-01'
}

TEST(CalendarDate, RoundTripsEveryDayOfTheRange) {
    const std::int32_t first = days_since_2000({kMinYear, 1, 1});
    const std::int32_t last = days_since_2000({kMaxYear, 12, 31});
    for (std::int32_t d = first; d <= last; ++d)
        ASSERT_EQ(days_since_2000(civil_from_days_since_2000(d)), d);
    EXPECT_EQ(format_date(days_since_2000({2024, 2, 29})), "2024-02-29");
}

TEST(CalendarDate, AcceptsPlainAndApiDateTimes) {
    EXPECT_EQ(parse_usage_date("2025-10-01").day, days_since_2000({2025, 10, 1}));
    EXPECT_EQ(parse_usage_date("2025-10-01T00:00:00Z").day, days_since_2000({2025, 10, 1}));
    EXPECT_EQ(parse_usage_date("2025-10-01T00:00:00.000+00:00").day, days_since_2000({2025, 10, 1}));
    EXPECT_EQ(parse_usage_date("2024-02-29").day, days_since_2000({2024, 2, 29}));
}

TEST(CalendarDate, RejectsImpossibleDates) {
    for (const char *bad : {"2025-02-30", "2025-02-29", "2025-13-01", "2025-00-10", "2025-04-31", "1900-02-29"})
        EXPECT_FALSE(parse_usage_date(bad).day) << bad;
    EXPECT_EQ(parse_usage_date("2025-02-30").error, "is not a valid calendar date");
}

TEST(CalendarDate, RejectsMalformedText) {
    for (const char *bad : {"", "2025-1-01", "2025/10/01", "20251001", "2025-10-01 ", "2025-10-01T", "2025-10-01T25:00:00Z",
                            "2025-10-01T00:00:00X", "2025-10-01T00:00:00+0000", "yesterday", "2025-10-01T00:00:00.Z"})
        EXPECT_FALSE(parse_usage_date(bad).day) << bad;
}

TEST(CalendarDate, RejectsDaysOutsideTheSupportedRange) {
    EXPECT_FALSE(parse_usage_date("1999-12-31").day);
    EXPECT_FALSE(parse_usage_date("2200-01-01").day);
    EXPECT_TRUE(parse_usage_date("2199-12-31").day);
}
