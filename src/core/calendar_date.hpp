// Calendar dates as the API sends them ("2025-10-01" or "2025-10-01T00:00:00Z"), checked
// for impossible days and converted to PostgreSQL's day count without needing postgres.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace usage_archive::core {

struct CivilDate {
    int year;
    unsigned month;
    unsigned day;
};

// Days since 2000-01-01 (PostgreSQL's DateADT epoch) for a valid proleptic Gregorian date.
std::int32_t days_since_2000(CivilDate date);
CivilDate civil_from_days_since_2000(std::int32_t days);

// The archive only accepts days in this range: anything outside is a corrupt record, not
// usage (the vendor's service started long after 2000).
inline constexpr int kMinYear = 2000;
inline constexpr int kMaxYear = 2199;

struct DateParse {
    std::optional<std::int32_t> day; // set when valid
    std::string error;               // why not, otherwise
};

// Accepts YYYY-MM-DD, optionally followed by a time "THH:MM:SS[.fraction][Z|+HH:MM|-HH:MM]".
// The usage day is the date part: the API reports days in UTC at midnight.
DateParse parse_usage_date(std::string_view text);

std::string format_date(std::int32_t days_since_2000);

} // namespace usage_archive::core
