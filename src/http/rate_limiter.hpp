// A source's request budget kept by this process alone: at most N requests in any 60-second
// window (options.rate_limit_per_minute, default 250 as the vendor documents). Used when
// usage_archive is not preloaded; with the preload the budget is shared by all backends.
#pragma once

#include "request_budget.hpp"

#include <cstdint>
#include <deque>

namespace usage_archive::http {

class RateLimiter : public RequestBudget {
  public:
    explicit RateLimiter(int per_minute) : per_minute_(per_minute > 0 ? per_minute : 1) {}

    int take(int wanted, std::int64_t now_ms, std::int64_t *retry_ms) override;

    // How many requests may start at now_ms without exceeding the budget.
    int available(std::int64_t now_ms);
    // Milliseconds until one more request may start (0 when one may start now).
    std::int64_t wait_ms(std::int64_t now_ms);
    void record(std::int64_t now_ms);

  private:
    void expire(std::int64_t now_ms);
    int per_minute_;
    std::deque<std::int64_t> sent_; // start times within the last minute
};

} // namespace usage_archive::http
