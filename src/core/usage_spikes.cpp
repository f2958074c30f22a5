#include "usage_spikes.hpp"

#include <algorithm>
#include <cstddef>

namespace usage_archive::core {
namespace {

// The k-th smallest (0-based) of `present` plus `zeros` zero values; present values are >= 0.
MilliGb kth_with_zeros(std::vector<MilliGb> &present, std::size_t zeros, std::size_t k) {
    if (k < zeros)
        return 0;
    const auto nth = present.begin() + static_cast<std::ptrdiff_t>(k - zeros);
    std::nth_element(present.begin(), nth, present.end());
    return *nth;
}

// Whether the API answered for `day`: ranges ascending by first day, possibly overlapping.
bool is_covered(const std::vector<DayRange> &covered, std::int32_t day) {
    auto it = std::upper_bound(covered.begin(), covered.end(), day,
                               [](std::int32_t d, const DayRange &r) { return d < r.first; });
    for (; it != covered.begin(); --it)
        if (std::prev(it)->last >= day)
            return true;
    return false;
}

} // namespace

std::vector<Spike> find_spikes(const std::vector<DailyValue> &days, std::int32_t first_day, std::int32_t from,
                               const SpikeRule &rule, const std::vector<DayRange> &covered) {
    std::vector<Spike> spikes;
    std::vector<MilliGb> window; // reused for every day
    std::size_t window_begin = 0; // first of `days` inside the current day's window
    for (std::size_t i = 0; i < days.size(); ++i) {
        const DailyValue &today = days[i];
        const std::int32_t window_first = std::max(first_day, today.day - rule.window_days);
        while (window_begin < i && days[window_begin].day < window_first)
            ++window_begin;
        if (today.day < from || today.value <= rule.floor)
            continue;
        // The window's days (window_first .. today - 1): archived ones with their value, the
        // others zeros where the API answered for them, unknown (left out) where it did not.
        window.clear();
        std::size_t zeros = 0;
        std::size_t next = window_begin;
        for (std::int32_t d = window_first; d < today.day; ++d) {
            if (next < i && days[next].day == d)
                window.push_back(days[next++].value);
            else if (covered.empty() || is_covered(covered, d))
                ++zeros;
        }
        const std::size_t n = window.size() + zeros;
        if (n < static_cast<std::size_t>(rule.min_history_days))
            continue;
        // The median of n values: the middle one, or the mean of the two middle ones.
        MilliGb median = kth_with_zeros(window, zeros, n / 2);
        if (n % 2 == 0)
            median = (median + kth_with_zeros(window, zeros, n / 2 - 1)) / 2;
        if (static_cast<double>(today.value) > rule.factor * static_cast<double>(median))
            spikes.push_back(Spike{today.day, today.value, median});
    }
    return spikes;
}

} // namespace usage_archive::core
