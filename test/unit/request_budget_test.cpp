#include "http/request_budget.hpp"

#include "request_budget_checks.hpp"

#include <gtest/gtest.h>

using namespace usage_archive::http;

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
