#include "rate_limiter.hpp"

#include <algorithm>

namespace usage_archive::http {

namespace {
constexpr std::int64_t kWindowMs = 60000;
}

void RateLimiter::expire(std::int64_t now_ms) {
    while (!sent_.empty() && sent_.front() <= now_ms - kWindowMs)
        sent_.pop_front();
}

int RateLimiter::available(std::int64_t now_ms) {
    expire(now_ms);
    return per_minute_ - static_cast<int>(sent_.size());
}

std::int64_t RateLimiter::wait_ms(std::int64_t now_ms) {
    if (available(now_ms) > 0)
        return 0;
    return sent_.front() + kWindowMs - now_ms;
}

void RateLimiter::record(std::int64_t now_ms) { sent_.push_back(now_ms); }

int RateLimiter::take(int wanted, std::int64_t now_ms, std::int64_t *retry_ms) {
    const int granted = std::min(wanted, available(now_ms));
    if (granted <= 0) {
        *retry_ms = std::max<std::int64_t>(1, wait_ms(now_ms));
        return 0;
    }
    for (int i = 0; i < granted; ++i)
        record(now_ms);
    return granted;
}

} // namespace usage_archive::http
