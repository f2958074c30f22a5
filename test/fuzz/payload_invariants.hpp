// What every parse that did not throw must satisfy, whatever the input: the rest of the
// extension relies on it (indexes in range, days the date column accepts, values the
// validation promised). A violation aborts, which libFuzzer reports with the input.
#pragma once

#include "core/calendar_date.hpp"
#include "core/record_validation.hpp"
#include "core/usage_record.hpp"

#include <cstdio>
#include <cstdlib>

namespace usage_archive::fuzz {

inline void require(bool holds, const char *what) {
    if (!holds) {
        std::fprintf(stderr, "payload invariant broken: %s\n", what);
        std::abort();
    }
}

inline void check_parsed(const core::ParsedPayload &p, const core::ValidationLimits &limits) {
    const std::int32_t first_day = core::days_since_2000(core::CivilDate{core::kMinYear, 1, 1});
    const std::int32_t last_day = core::days_since_2000(core::CivilDate{core::kMaxYear, 12, 31});
    const auto max_milli = static_cast<core::MilliGb>(limits.max_daily_gb * 1000.0 + 0.5);
    require(p.rejection_reasons.size() <= core::kMaxRejectionReasons, "at most kMaxRejectionReasons reasons");
    require(p.rejection_reasons.size() <= p.rejected, "no more reasons than rejections");
    for (const core::UsageRecord &r : p.records) {
        require(r.line < p.lines.size(), "record's line index in range");
        require(r.day >= first_day && r.day <= last_day, "record's day within the supported years");
        for (core::MilliGb v : {r.consumed, r.priority, r.opt_in_priority, r.standard, r.non_billable})
            require(v >= 0 && v <= max_milli, "values between 0 and max_daily_gb");
        if (r.has_breakdown) {
            require(r.consumed == r.priority + r.standard, "consumed = priority + standard");
            require(r.opt_in_priority <= r.priority, "opt-in priority within priority");
        }
    }
    for (const core::BillingCycle &c : p.cycles) {
        require(c.line < p.lines.size(), "cycle's line index in range");
        require(c.start <= c.end, "cycle starts before it ends");
        for (std::size_t i = 0; i < c.reported_days.size(); ++i) {
            require(c.reported_days[i] >= c.start && c.reported_days[i] <= c.end, "reported day inside its cycle");
            require(i == 0 || c.reported_days[i - 1] < c.reported_days[i], "reported days ascending and distinct");
        }
    }
}

} // namespace usage_archive::fuzz
