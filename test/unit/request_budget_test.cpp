#include "http/rate_limiter.hpp"
#include "http/request_budget.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <random>

using namespace usage_archive::http;

namespace {

// Asks a budget for requests at random moments over `duration_ms` and checks that no
// 60-second window [t, t+60 s) ever holds more than `limit` of the granted ones.
void never_over_the_limit(RequestBudget &budget, int limit, std::int64_t duration_ms, unsigned seed) {
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

} // namespace

TEST(MinuteWindow, NeverMoreThanTheLimitInAnyMinute) {
    for (int limit : {1, 3, 10, 250}) {
        MinuteWindow window;
        reset_window(window);
        struct WindowBudget : RequestBudget {
            MinuteWindow &w;
            int limit;
            WindowBudget(MinuteWindow &w, int limit) : w(w), limit(limit) {}
            int take(int wanted, std::int64_t now_ms, std::int64_t *retry_ms) override {
                return take_from_window(w, limit, wanted, now_ms, retry_ms);
            }
        } budget(window, limit);
        never_over_the_limit(budget, limit, 600000, static_cast<unsigned>(limit));
    }
}

TEST(MinuteWindow, GrantsABurstThenSaysWhenTheNextOneFits) {
    MinuteWindow window;
    reset_window(window);
    std::int64_t retry = 0;
    EXPECT_EQ(take_from_window(window, 3, 5, 10500, &retry), 3) << "a burst up to the limit";
    EXPECT_EQ(take_from_window(window, 3, 1, 30000, &retry), 0);
    EXPECT_EQ(retry, (10 + 61) * 1000 - 30000) << "second 10 leaves the 61-second span at 71 s";
    EXPECT_EQ(take_from_window(window, 3, 1, 70999, &retry), 0);
    EXPECT_EQ(take_from_window(window, 3, 2, 71000, &retry), 2);
    EXPECT_EQ(take_from_window(window, 3, 1, 10 * 60000, &retry), 1) << "long idle: the window is empty";
}

TEST(RateLimiter, TakeIsAtMostNPerMinute) {
    RateLimiter limiter(4);
    never_over_the_limit(limiter, 4, 600000, 7);
}
