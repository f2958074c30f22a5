#include "request_budget.hpp"

#include <algorithm>
#include <iterator>

namespace usage_archive::http {
namespace {

std::int64_t second_of(std::int64_t ms) { return ms >= 0 ? ms / 1000 : (ms - 999) / 1000; }

std::size_t slot_of(std::int64_t second) {
    const std::int64_t m = second % MinuteWindow::kSeconds;
    return static_cast<std::size_t>(m < 0 ? m + MinuteWindow::kSeconds : m);
}

// Moves the window forward to `second`, clearing the counters of the seconds it passes.
void advance(MinuteWindow &w, std::int64_t second) {
    if (second <= w.newest_second)
        return;
    const std::int64_t steps = std::min<std::int64_t>(second - w.newest_second, MinuteWindow::kSeconds);
    for (std::int64_t i = 1; i <= steps; ++i)
        w.counts[slot_of(w.newest_second + i)] = 0;
    w.newest_second = second;
}

} // namespace

void reset_window(MinuteWindow &window) {
    window.newest_second = 0;
    std::fill(std::begin(window.counts), std::end(window.counts), 0u);
}

int take_from_window(MinuteWindow &w, int limit, int wanted, std::int64_t now_ms, std::int64_t *retry_ms) {
    const std::int64_t now = second_of(now_ms);
    advance(w, now);
    std::int64_t used = 0;
    for (std::uint32_t c : w.counts)
        used += c;
    const std::int64_t granted = std::max<std::int64_t>(0, std::min<std::int64_t>(wanted, limit - used));
    if (granted > 0) {
        w.counts[slot_of(now)] += static_cast<std::uint32_t>(granted);
        return static_cast<int>(granted);
    }
    // The oldest second with requests leaves the window when the window's start passes it.
    std::int64_t oldest = now;
    for (std::int64_t s = now - (MinuteWindow::kSeconds - 1); s <= now; ++s)
        if (w.counts[slot_of(s)] > 0) {
            oldest = s;
            break;
        }
    *retry_ms = std::max<std::int64_t>(1, (oldest + MinuteWindow::kSeconds) * 1000 - now_ms);
    return 0;
}

} // namespace usage_archive::http
