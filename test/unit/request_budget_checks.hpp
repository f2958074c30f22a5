// What every http::RequestBudget must keep, checked the same way for each implementation
// (request_budget_test.cpp, rate_limiter_test.cpp).
#pragma once

#include "http/request_budget.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <random>

namespace usage_archive::http {

// Asks a budget for requests at random moments over `duration_ms` and checks that no
// 60-second window [t, t+60 s) ever holds more than `limit` of the granted ones.
inline void never_over_the_limit(RequestBudget &budget, int limit, std::int64_t duration_ms, unsigned seed) {
    std::mt19937 random(seed);
    std::deque<std::int64_t> granted; // times of the grants within the last minute
    std::int64_t total = 0;
    for (std::int64_t now = 1000; now < duration_ms; now += 1 + static_cast<std::int64_t>(random() % 700)) {
        std::int64_t retry = 0;
        const int got = budget.take(1 + static_cast<int>(random() % 4), now, &retry);
        if (got == 0) {
            EXPECT_GE(retry, 1);
            continue;
        }
        for (int i = 0; i < got; ++i)
            granted.push_back(now);
        total += got;
        while (!granted.empty() && granted.front() <= now - 60000)
            granted.pop_front();
        ASSERT_LE(static_cast<int>(granted.size()), limit) << "at " << now << " ms";
    }
    EXPECT_GT(total, limit) << "the budget let requests through over time";
}

} // namespace usage_archive::http
