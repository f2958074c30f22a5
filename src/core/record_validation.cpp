#include "record_validation.hpp"

#include "calendar_date.hpp"
#include "text_excerpt.hpp"

#include <cmath>
#include <cstdio>

namespace usage_archive::core {
namespace {

std::string quote(std::string_view text) {
    constexpr std::size_t kShown = 40; // enough to recognise the value, short enough for a log line
    return quoted_excerpt(text, kShown);
}

std::string number_text(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

bool names_non_finite(std::string_view t) {
    for (std::string_view name : {"NaN", "nan", "Infinity", "-Infinity", "+Infinity", "inf", "-inf", "Inf", "-Inf"})
        if (t == name)
            return true;
    return false;
}

// A present numeric field: returns the reason it is unusable, or std::nullopt with *value set.
std::optional<std::string> check_number(const char *field, const RawNumber &raw, bool null_is_zero,
                                        const ValidationLimits &limits, MilliGb *value) {
    switch (raw.state) {
    case RawNumber::State::absent:
    case RawNumber::State::null:
        if (null_is_zero) {
            *value = 0;
            return std::nullopt;
        }
        return std::string(field) + (raw.state == RawNumber::State::absent ? " is missing" : " is null");
    case RawNumber::State::text:
        if (names_non_finite(raw.text))
            return std::string(field) + " is not finite (" + quote(raw.text) + ")";
        return std::string(field) + " is not a number (" + quote(raw.text) + ")";
    case RawNumber::State::other:
        return std::string(field) + " is not a number";
    case RawNumber::State::number:
        break;
    }
    const double v = raw.number;
    if (!std::isfinite(v))
        return std::string(field) + " is not finite";
    if (v < 0)
        return std::string(field) + " is negative (" + number_text(v) + ")";
    if (v > limits.max_daily_gb)
        return std::string(field) + " (" + number_text(v) + ") exceeds the sanity bound usage_archive.max_daily_gb (" +
               number_text(limits.max_daily_gb) + ")";
    *value = to_milli_gb(v);
    return std::nullopt;
}

std::optional<std::string> check_date(const RawDate &raw, std::int32_t *day) {
    if (raw.state == RawDate::State::absent)
        return std::string("date is missing");
    if (raw.state == RawDate::State::other)
        return std::string("date is not a string");
    DateParse parsed = parse_usage_date(raw.text);
    if (!parsed.day)
        return "date " + quote(raw.text) + " " + parsed.error;
    *day = *parsed.day;
    return std::nullopt;
}

} // namespace

MilliGb to_milli_gb(double gb) { return std::llround(gb * 1000.0); }

std::size_t format_milli_gb(MilliGb value, char *buf) {
    const bool negative = value < 0;
    const unsigned long long magnitude =
        negative ? 0ULL - static_cast<unsigned long long>(value) : static_cast<unsigned long long>(value);
    return static_cast<std::size_t>(
        std::snprintf(buf, 24, "%s%llu.%03llu", negative ? "-" : "", magnitude / 1000, magnitude % 1000));
}

std::string format_milli_gb(MilliGb value) {
    char buf[24];
    return std::string(buf, format_milli_gb(value, buf));
}

std::optional<std::string> validate_starlink_day(const StarlinkDayFields &raw, const ValidationLimits &limits,
                                                 UsageRecord &out) {
    if (auto why = check_date(raw.date, &out.day))
        return why;
    // The breakdown in the API's order, so the first bad member is the one named.
    static constexpr struct {
        const char *member;
        RawNumber StarlinkDayFields::*raw;
        MilliGb UsageRecord::*value;
    } kParts[] = {{"priorityGB", &StarlinkDayFields::priority, &UsageRecord::priority},
                  {"optInPriorityGB", &StarlinkDayFields::opt_in_priority, &UsageRecord::opt_in_priority},
                  {"standardGB", &StarlinkDayFields::standard, &UsageRecord::standard},
                  {"nonBillableGB", &StarlinkDayFields::non_billable, &UsageRecord::non_billable}};
    for (const auto &part : kParts)
        if (auto why = check_number(part.member, raw.*part.raw, true, limits, &(out.*part.value)))
            return why;
    // Opt-in priority is a part of priority, never an extra amount (API definition).
    if (out.opt_in_priority > out.priority)
        return "optInPriorityGB (" + format_milli_gb(out.opt_in_priority) + ") exceeds priorityGB (" +
               format_milli_gb(out.priority) + ")";
    out.has_breakdown = true;
    out.consumed = out.priority + out.standard;
    return std::nullopt;
}

std::optional<std::string> validate_simple_day(const SimpleDayFields &raw, const ValidationLimits &limits,
                                               UsageRecord &out) {
    if (auto why = check_date(raw.date, &out.day))
        return why;
    if (auto why = check_number("usage_gb", raw.usage_gb, false, limits, &out.consumed))
        return why;
    out.has_breakdown = false;
    out.priority = out.opt_in_priority = out.standard = out.non_billable = 0;
    return std::nullopt;
}

} // namespace usage_archive::core
