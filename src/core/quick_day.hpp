// The fast parser's quick lane (fast_starlink_parser.cpp): a day whose values and date are of
// the usual form becomes its record without validate_starlink_day and parse_usage_date,
// with exactly their result. Inline: it runs for every day of a body.
#pragma once

#include "calendar_date.hpp"
#include "record_validation.hpp"
#include "usage_record.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace usage_archive::core {

// The quick lane: a positive decimal (or 0) with at most three decimals whose thousandths N
// are below quick_lane_limit is what validate_starlink_day accepts, and its MilliGb is N:
// llround(fl(fl(N / 1000) * 1000)) = N exactly, since two roundings move N by at most
// N * 2^-52 < 0.5 for N < 2^50; and N < 1000 * max_daily_gb - 2 keeps the double below
// the bound. A day whose members all take the quick lane (and whose date is of the usual
// form) becomes its record here; any other day goes through validate_starlink_day, which
// gives the reference's reason for a rejection.
inline std::int64_t quick_lane_limit(const ValidationLimits &limits) {
    constexpr std::int64_t kExactBelow = std::int64_t{1} << 50;
    const double bound = limits.max_daily_gb * 1000.0;
    if (!(bound > 4)) // NaN or tiny: no quick lane
        return 0;
    if (bound >= static_cast<double>(kExactBelow))
        return kExactBelow;
    return static_cast<std::int64_t>(std::floor(bound)) - 2;
}

// One day's four numeric members (priority, opt-in priority, standard, non-billable) as read:
// absent, null, a quick value, or anything else (raw: kept as the reference would hold it).
struct QuickDayValues {
    enum class Slot : std::uint8_t { absent, null, quick, raw };
    Slot slots[4] = {};
    MilliGb quick[4] = {};

    void reset() { slots[0] = slots[1] = slots[2] = slots[3] = Slot::absent; }

    // validate_starlink_day for a day whose members are all quick, null or absent.
    bool to_record(UsageRecord &out) const {
        MilliGb values[4];
        for (int slot = 0; slot < 4; ++slot) {
            if (slots[slot] == Slot::raw)
                return false;
            values[slot] = slots[slot] == Slot::quick ? quick[slot] : 0; // null and absent are zero
        }
        if (values[1] > values[0]) // optInPriorityGB exceeds priorityGB: the reference words it
            return false;
        out.priority = values[0];
        out.opt_in_priority = values[1];
        out.standard = values[2];
        out.non_billable = values[3];
        out.has_breakdown = true;
        out.consumed = out.priority + out.standard;
        return true;
    }
};

class QuickUsageDate {
  public:
    // parse_usage_date's day for the two usual forms, "YYYY-MM-DD" and "YYYY-MM-DDT00:00:00Z",
    // on a day up to the 28th; false for anything else, which parse_usage_date then judges.
    // Days come in runs of the same month: the last month's first day is kept.
    bool read(std::string_view text, std::int32_t &day) {
        if (text.size() != 10 && !(text.size() == 20 && std::memcmp(text.data() + 10, "T00:00:00Z", 10) == 0))
            return false;
        const char *t = text.data();
        auto digit = [t](int i) { return static_cast<unsigned>(static_cast<unsigned char>(t[i]) - '0'); };
        for (int i : {0, 1, 2, 3, 5, 6, 8, 9})
            if (digit(i) > 9)
                return false;
        if (t[4] != '-' || t[7] != '-')
            return false;
        const int year = static_cast<int>(digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3));
        const unsigned month = digit(5) * 10 + digit(6), mday = digit(8) * 10 + digit(9);
        if (year < kMinYear || year > kMaxYear || month < 1 || month > 12 || mday < 1 || mday > 28)
            return false;
        if (year != month_year_ || month != month_) {
            month_year_ = year;
            month_ = month;
            month_first_day_ = days_since_2000({year, month, 1});
        }
        day = month_first_day_ + static_cast<std::int32_t>(mday) - 1;
        return true;
    }

  private:
    int month_year_ = 0;
    unsigned month_ = 0;
    std::int32_t month_first_day_ = 0;
};

} // namespace usage_archive::core
