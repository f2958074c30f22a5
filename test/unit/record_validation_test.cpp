#include "core/record_validation.hpp"

#include <gtest/gtest.h>

#include <cmath>

using namespace usage_archive::core;

namespace {
StarlinkDayFields day(const char *date, double p, double o, double s, double n) {
    StarlinkDayFields f;
    f.date.state = RawDate::State::text;
    f.date.text = date;
    f.priority.set_number(p);
    f.opt_in_priority.set_number(o);
    f.standard.set_number(s);
    f.non_billable.set_number(n);
    return f;
}
} // namespace

TEST(RecordValidation, ConsumedIsPriorityPlusStandard) {
    UsageRecord r;
    ASSERT_FALSE(validate_starlink_day(day("2025-10-01T00:00:00Z", 1.25, 0.5, 10.75, 3.0), {}, r));
    EXPECT_EQ(r.consumed, 12000); // opt-in is inside priority, non-billable is kept apart
    EXPECT_EQ(r.priority, 1250);
    EXPECT_EQ(r.opt_in_priority, 500);
    EXPECT_EQ(r.standard, 10750);
    EXPECT_EQ(r.non_billable, 3000);
    EXPECT_TRUE(r.has_breakdown);
}

TEST(RecordValidation, AbsentAndNullStarlinkComponentsAreZero) {
    StarlinkDayFields f = day("2025-10-01", 0, 0, 2.5, 0);
    f.priority.reset();
    f.non_billable.state = RawNumber::State::null;
    UsageRecord r;
    ASSERT_FALSE(validate_starlink_day(f, {}, r));
    EXPECT_EQ(r.priority, 0);
    EXPECT_EQ(r.consumed, 2500);
}

TEST(RecordValidation, RejectsNegativeNonFiniteAndAbsurdValues) {
    UsageRecord r;
    EXPECT_EQ(*validate_starlink_day(day("2025-10-01", -1, 0, 1, 0), {}, r), "priorityGB is negative (-1)");
    EXPECT_EQ(*validate_starlink_day(day("2025-10-01", 1, 0, NAN, 0), {}, r), "standardGB is not finite");
    EXPECT_EQ(*validate_starlink_day(day("2025-10-01", 1, 0, 1, INFINITY), {}, r), "nonBillableGB is not finite");
    EXPECT_EQ(*validate_starlink_day(day("2025-10-01", 1, 0, 20000, 0), {}, r),
              "standardGB (20000) exceeds the sanity bound usage_archive.max_daily_gb (10000)");
    ValidationLimits generous{50000};
    EXPECT_FALSE(validate_starlink_day(day("2025-10-01", 1, 0, 20000, 0), generous, r));
}

TEST(RecordValidation, RejectsOptInAbovePriority) {
    UsageRecord r;
    EXPECT_EQ(*validate_starlink_day(day("2025-10-01", 1.25, 2.5, 1, 0), {}, r),
              "optInPriorityGB (2.500) exceeds priorityGB (1.250)");
}

TEST(RecordValidation, NamesNonNumericText) {
    StarlinkDayFields f = day("2025-10-01", 1, 0, 1, 0);
    f.standard.set_text("NaN");
    UsageRecord r;
    EXPECT_EQ(*validate_starlink_day(f, {}, r), "standardGB is not finite (\"NaN\")");
    f.standard.set_text("12.5 GB");
    EXPECT_EQ(*validate_starlink_day(f, {}, r), "standardGB is not a number (\"12.5 GB\")");
}

TEST(RecordValidation, SimpleNeedsUsageAndDate) {
    SimpleDayFields f;
    UsageRecord r;
    EXPECT_EQ(*validate_simple_day(f, {}, r), "date is missing");
    f.date.state = RawDate::State::text;
    f.date.text = "2025-02-30";
    EXPECT_EQ(*validate_simple_day(f, {}, r), "date \"2025-02-30\" is not a valid calendar date");
    f.date.text = "2025-02-28";
    EXPECT_EQ(*validate_simple_day(f, {}, r), "usage_gb is missing");
    f.usage_gb.state = RawNumber::State::null;
    EXPECT_EQ(*validate_simple_day(f, {}, r), "usage_gb is null");
    f.usage_gb.set_number(12.5);
    ASSERT_FALSE(validate_simple_day(f, {}, r));
    EXPECT_EQ(r.consumed, 12500);
    EXPECT_FALSE(r.has_breakdown);
}

TEST(MilliGb, RoundsToThousandthsAndFormatsExactly) {
    EXPECT_EQ(to_milli_gb(0.0005), 1);
    EXPECT_EQ(to_milli_gb(0.1 + 0.2), 300);
    EXPECT_EQ(format_milli_gb(12500), "12.500");
    EXPECT_EQ(format_milli_gb(7), "0.007");
    EXPECT_EQ(format_milli_gb(-1500), "-1.500");
    EXPECT_EQ(format_milli_gb(99999999999999), "99999999999.999");
}
