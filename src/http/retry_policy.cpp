#include "retry_policy.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>

namespace usage_archive::http {

bool is_retryable_status(long status) { return status == 429 || (status >= 500 && status <= 599); }

std::optional<std::int64_t> parse_retry_after_ms(const std::string &value, std::int64_t now_unix_ms) {
    std::string v = value;
    while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back())))
        v.pop_back();
    while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front())))
        v.erase(v.begin());
    if (v.empty())
        return std::nullopt;
    if (std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); })) {
        if (v.size() > 9)
            return std::int64_t{999999999} * 1000;
        return std::stoll(v) * 1000;
    }
    const time_t when = curl_getdate(v.c_str(), nullptr); // RFC 7231 HTTP-date
    if (when < 0)
        return std::nullopt;
    return std::max<std::int64_t>(0, static_cast<std::int64_t>(when) * 1000 - now_unix_ms);
}

std::int64_t retry_delay_ms(const RetryPolicy &policy, int attempt, double random_unit,
                            std::optional<std::int64_t> retry_after_ms) {
    if (retry_after_ms)
        return std::min(*retry_after_ms, policy.max_retry_after_ms);
    std::int64_t delay = policy.base_delay_ms;
    for (int i = 1; i < attempt && delay < policy.max_delay_ms; ++i)
        delay *= 2;
    delay = std::min(delay, policy.max_delay_ms);
    return delay / 2 + static_cast<std::int64_t>(random_unit * static_cast<double>(delay - delay / 2));
}

} // namespace usage_archive::http
