#include "http/retry_policy.hpp"

#include <gtest/gtest.h>

using namespace usage_archive::http;

TEST(RetryPolicy, RetriesOnlyTooManyRequestsAndServerErrors) {
    for (long s : {429L, 500L, 502L, 503L, 504L})
        EXPECT_TRUE(is_retryable_status(s)) << s;
    for (long s : {200L, 400L, 401L, 403L, 404L, 422L})
        EXPECT_FALSE(is_retryable_status(s)) << s;
}

TEST(RetryPolicy, ExponentialBackoffWithEqualJitter) {
    RetryPolicy p; // base 500 ms, cap 30 s
    EXPECT_EQ(retry_delay_ms(p, 1, 0.0, std::nullopt), 250);
    EXPECT_EQ(retry_delay_ms(p, 1, 0.999999, std::nullopt), 499);
    EXPECT_EQ(retry_delay_ms(p, 2, 0.0, std::nullopt), 500);
    EXPECT_EQ(retry_delay_ms(p, 3, 0.5, std::nullopt), 1500);
    EXPECT_EQ(retry_delay_ms(p, 20, 1.0, std::nullopt), 30000) << "capped";
}

TEST(RetryPolicy, RetryAfterWinsAndIsCapped) {
    RetryPolicy p;
    EXPECT_EQ(retry_delay_ms(p, 1, 0.5, 2000), 2000);
    EXPECT_EQ(retry_delay_ms(p, 1, 0.5, 10'000'000), p.max_retry_after_ms);
}

TEST(RetryPolicy, ParsesRetryAfterSecondsAndDates) {
    EXPECT_EQ(parse_retry_after_ms("3", 0), 3000);
    EXPECT_EQ(parse_retry_after_ms(" 0 ", 0), 0);
    EXPECT_FALSE(parse_retry_after_ms("soon", 0));
    EXPECT_FALSE(parse_retry_after_ms("", 0));
    // Sun, 06 Nov 1994 08:49:37 GMT = 784111777
    EXPECT_EQ(parse_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", 784111777000 - 5000), 5000);
    EXPECT_EQ(parse_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", 784111777000 + 5000), 0) << "a past date: now";
}
