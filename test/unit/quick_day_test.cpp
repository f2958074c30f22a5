#include "core/quick_day.hpp"

#include <gtest/gtest.h>

using namespace usage_archive::core;

TEST(QuickDay, DatesOfTheUsualFormsAsParseUsageDateReadsThem) {
    QuickUsageDate quick;
    for (const char *text : {"2025-10-01", "2025-10-01T00:00:00Z", "2025-10-28", "2025-11-03", "2000-01-01"}) {
        std::int32_t day = -1;
        ASSERT_TRUE(quick.read(text, day)) << text;
        EXPECT_EQ(day, parse_usage_date(text).day) << text;
    }
}

TEST(QuickDay, OtherDatesAreLeftToParseUsageDate) {
    QuickUsageDate quick;
    std::int32_t day;
    for (const char *text : {"2025-10-29", "2025-02-30", "2025-13-01", "1999-12-01", "2025-10-01T12:00:00Z",
                             "2025/10/01", "2025-10-1", ""})
        EXPECT_FALSE(quick.read(text, day)) << text;
}

TEST(QuickDay, ValuesBecomeTheRecordValidationWouldMake) {
    QuickDayValues values;
    values.reset();
    values.slots[0] = QuickDayValues::Slot::quick;
    values.quick[0] = 1250;
    values.slots[2] = QuickDayValues::Slot::quick;
    values.quick[2] = 10750;
    values.slots[3] = QuickDayValues::Slot::null;
    UsageRecord record;
    ASSERT_TRUE(values.to_record(record));
    EXPECT_EQ(record.consumed, 12000);
    EXPECT_TRUE(record.has_breakdown);
    values.slots[1] = QuickDayValues::Slot::quick;
    values.quick[1] = 2000; // opt-in above priority: validate_starlink_day words the rejection
    EXPECT_FALSE(values.to_record(record));
    values.slots[1] = QuickDayValues::Slot::raw;
    EXPECT_FALSE(values.to_record(record));
}

TEST(QuickDay, LaneLimitKeepsBelowTheDailyBound) {
    ValidationLimits limits;
    limits.max_daily_gb = 10000.0;
    EXPECT_EQ(quick_lane_limit(limits), 10000 * 1000 - 2);
    limits.max_daily_gb = 0.001;
    EXPECT_EQ(quick_lane_limit(limits), 0);
}
