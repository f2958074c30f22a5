// Usage spikes: a day far above what its service line usually uses. "Usually" is the median
// of the trailing window of days before it (28 by default). A day the archive has no row for
// is a zero when the API answered for it (it omits days without usage); a day it never
// answered for is unknown and left out. Without coverage information every absent day from
// the line's first archived day on counts as a zero: before it the line was not archived.
#pragma once

#include "usage_record.hpp"

#include <cstdint>
#include <vector>

namespace usage_archive::core {

struct DailyValue {
    std::int32_t day; // days since 2000-01-01
    MilliGb value;
};

struct SpikeRule {
    double factor = 3.0;       // a spike is above factor x the trailing median...
    MilliGb floor = 10000;     // ...and above this absolute floor (10 GB)
    int window_days = 28;      // the trailing window
    int min_history_days = 14; // days of the window that must count (not unknown)
};

struct DayRange {
    std::int32_t first, last; // inclusive
};

struct Spike {
    std::int32_t day;
    MilliGb value;
    MilliGb median; // of the trailing window
};

// The spikes among days on or after `from`. `days`: one line's archived days, ascending and
// distinct (it should start `window_days` before `from` to judge the first days fully);
// `first_day`: the line's first archived day; `covered`: the days the API answered for
// (ascending by first day; empty: not known).
std::vector<Spike> find_spikes(const std::vector<DailyValue> &days, std::int32_t first_day, std::int32_t from,
                               const SpikeRule &rule, const std::vector<DayRange> &covered = {});

} // namespace usage_archive::core
