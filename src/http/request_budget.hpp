// How many requests a fetch may start now. A source's account allows rate_limit_per_minute
// requests in any 60-second window; the budget is either this backend's own (RateLimiter) or
// shared by every backend through shared memory (src/pg/shared_request_budget), so that
// concurrent runs of one account stay within it together.
#pragma once

#include <cstdint>

namespace usage_archive::http {

class RequestBudget {
  public:
    virtual ~RequestBudget() = default;
    // Grants up to `wanted` request starts at now_ms and returns how many (0..wanted); the
    // granted requests count against the budget from now on. When it grants none,
    // *retry_ms is how long to wait before asking again (at least 1).
    virtual int take(int wanted, std::int64_t now_ms, std::int64_t *retry_ms) = 0;
};

// A sliding 60-second window kept as 61 one-second counters: small and of fixed size, so it
// can live in shared memory. A request is granted at second s only while the counters of
// seconds s-60..s hold fewer than `limit`; so any 60-second window [t, t+60) holds at most
// `limit` requests (it lies within the 61 seconds checked for its last request).
struct MinuteWindow {
    static constexpr int kSeconds = 61;
    std::int64_t newest_second; // the second counts[newest_second % kSeconds] belongs to
    std::uint32_t counts[kSeconds];
};

// Zeroes the window (as for a new source).
void reset_window(MinuteWindow &window);
// RequestBudget::take on a window with the given per-minute limit.
int take_from_window(MinuteWindow &window, int limit, int wanted, std::int64_t now_ms, std::int64_t *retry_ms);

} // namespace usage_archive::http
