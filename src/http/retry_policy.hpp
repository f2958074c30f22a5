// When and how long to wait before asking again: 429 and 5xx are retried with exponential
// backoff and jitter, honouring Retry-After; everything else fails at once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace usage_archive::http {

struct RetryPolicy {
    int max_retries = 5;              // usage_archive.max_retries
    std::int64_t base_delay_ms = 500; // first backoff
    std::int64_t max_delay_ms = 30000;
    // A server's Retry-After is honoured up to this; beyond it the run would rather fail.
    std::int64_t max_retry_after_ms = 300000;
};

bool is_retryable_status(long status);

// Retry-After as delta-seconds or an HTTP-date; std::nullopt when absent or unreadable.
std::optional<std::int64_t> parse_retry_after_ms(const std::string &value, std::int64_t now_unix_ms);

// The wait before retry number `attempt` (1 for the first retry): the server's Retry-After
// when given (capped), otherwise exponential backoff with "equal jitter": half the
// exponential delay plus a random part of the other half, so retries of concurrent requests
// spread out instead of arriving together.
std::int64_t retry_delay_ms(const RetryPolicy &policy, int attempt, double random_unit,
                            std::optional<std::int64_t> retry_after_ms);

} // namespace usage_archive::http
