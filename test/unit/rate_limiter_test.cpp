#include "http/rate_limiter.hpp"

#include "request_budget_checks.hpp"

#include <gtest/gtest.h>

using namespace usage_archive::http;

TEST(RateLimiter, AtMostNPerMinute) {
    RateLimiter limiter(3);
    EXPECT_EQ(limiter.available(0), 3);
    limiter.record(0);
    limiter.record(100);
    limiter.record(200);
    EXPECT_EQ(limiter.available(300), 0);
    EXPECT_EQ(limiter.wait_ms(300), 59700);
    EXPECT_EQ(limiter.available(60000), 1) << "the first one left the window";
    EXPECT_EQ(limiter.wait_ms(60000), 0);
}

TEST(RateLimiter, TakeIsAtMostNPerMinute) {
    RateLimiter limiter(4);
    never_over_the_limit(limiter, 4, 600000, 7);
}
