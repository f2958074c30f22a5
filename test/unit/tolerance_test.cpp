#include "core/tolerance.hpp"

#include <gtest/gtest.h>

using namespace usage_archive::core;

TEST(Tolerance, DefaultIsTenThousandths) { EXPECT_EQ(tolerance_to_milli(0.01), 10); }

TEST(Tolerance, DiffersOnlyBeyondTheTolerance) {
    EXPECT_FALSE(values_differ(12000, 12010, 10)); // exactly the tolerance: same
    EXPECT_TRUE(values_differ(12000, 12011, 10));
    EXPECT_TRUE(values_differ(12011, 12000, 10));
    EXPECT_FALSE(values_differ(12000, 12000, 0));
    EXPECT_TRUE(values_differ(12000, 12001, 0));
}

TEST(Tolerance, NullDiffersFromAValue) {
    EXPECT_TRUE(values_differ(std::nullopt, 0, 10));
    EXPECT_TRUE(values_differ(0, std::nullopt, 10));
    EXPECT_FALSE(values_differ(std::nullopt, std::nullopt, 10));
}

TEST(Tolerance, EveryColumnCounts) {
    UsageRecord r;
    r.has_breakdown = true;
    r.priority = 1000;
    r.standard = 2000;
    r.consumed = 3000;
    StoredUsage s = stored_form(r);
    EXPECT_FALSE(usage_differs(s, r, 10));
    s[4] = 50; // non_billable_gb: only the non-billable part was corrected
    EXPECT_TRUE(usage_differs(s, r, 10));
    StoredUsage simple{3000, std::nullopt, std::nullopt, std::nullopt, std::nullopt};
    EXPECT_TRUE(usage_differs(simple, r, 10)) << "a breakdown appearing is a change";
}
