// Turns the raw fields of one day, as found in a payload, into a UsageRecord or a reason
// why the record cannot be archived. A rejected record is counted and reported; it never
// fails the run (one corrupt day must not stop a fleet-wide archive).
#pragma once

#include "usage_record.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace usage_archive::core {

// A numeric field as it appeared in the JSON, before any judgement about it.
struct RawNumber {
    enum class State { absent, null, number, text, other } state = State::absent;
    double number = 0;
    std::string text; // the string's content when state == text ("NaN", "12.5", ...)

    void reset() {
        state = State::absent;
        number = 0;
        text.clear();
    }
    void set_number(double v) { state = State::number, number = v; }
    void set_text(std::string_view v) { state = State::text, text.assign(v); }
};

struct RawDate {
    enum class State { absent, text, other } state = State::absent;
    std::string text;

    void reset() {
        state = State::absent;
        text.clear();
    }
};

struct ValidationLimits {
    // The largest plausible daily value per field: a value above it is a unit mix-up or
    // corrupt data, not usage. Default matches usage_archive.max_daily_gb.
    double max_daily_gb = 10000.0;
};

struct StarlinkDayFields {
    RawDate date;
    RawNumber priority, opt_in_priority, standard, non_billable;

    void reset() {
        date.reset();
        priority.reset();
        opt_in_priority.reset();
        standard.reset();
        non_billable.reset();
    }
};

struct SimpleDayFields {
    RawDate date;
    RawNumber usage_gb;

    void reset() {
        date.reset();
        usage_gb.reset();
    }
};

// Both return std::nullopt and fill `out` (except out.line and out.ordinal) when the day is
// valid, or the reason it is rejected. Starlink components that are absent or null count
// as zero (the API omits what it did not record); the simple kind's usage_gb is required.
std::optional<std::string> validate_starlink_day(const StarlinkDayFields &raw, const ValidationLimits &limits,
                                                 UsageRecord &out);
std::optional<std::string> validate_simple_day(const SimpleDayFields &raw, const ValidationLimits &limits,
                                               UsageRecord &out);

// Rounds a finite, non-negative GB value to thousandths.
MilliGb to_milli_gb(double gb);

// "12.345": exact decimal text of a MilliGb, as PostgreSQL's numeric input reads it.
std::string format_milli_gb(MilliGb value);
// Writes the same into buf (at least 24 bytes) and returns the length; no allocation.
std::size_t format_milli_gb(MilliGb value, char *buf);

} // namespace usage_archive::core
