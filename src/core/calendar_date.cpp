#include "calendar_date.hpp"

#include <cstdio>

namespace usage_archive::core {
namespace {

// 1970-01-01 to 2000-01-01.
constexpr std::int32_t kUnixToPostgresEpochDays = 10957;

// Howard Hinnant's days_from_civil / civil_from_days: exact for the proleptic Gregorian calendar.
std::int32_t days_from_civil(int y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int>(doe) - 719468;
}

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(int y, unsigned m) {
    static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

bool digits(std::string_view s, std::size_t pos, std::size_t count, unsigned &out) {
    if (pos + count > s.size())
        return false;
    out = 0;
    for (std::size_t i = pos; i < pos + count; ++i) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        out = out * 10 + static_cast<unsigned>(s[i] - '0');
    }
    return true;
}

// "THH:MM:SS[.f+][Z|±HH:MM]": only its well-formedness matters, the day is the date part.
bool valid_time_suffix(std::string_view t) {
    unsigned hh, mm, ss;
    if (t.size() < 9 || t[0] != 'T' || !digits(t, 1, 2, hh) || t[3] != ':' || !digits(t, 4, 2, mm) ||
        t[6] != ':' || !digits(t, 7, 2, ss) || hh > 23 || mm > 59 || ss > 60)
        return false;
    std::size_t pos = 9;
    if (pos < t.size() && t[pos] == '.') {
        std::size_t start = ++pos;
        while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9')
            ++pos;
        if (pos == start)
            return false;
    }
    if (pos == t.size())
        return true;
    if (t[pos] == 'Z')
        return pos + 1 == t.size();
    unsigned oh, om;
    return (t[pos] == '+' || t[pos] == '-') && pos + 6 == t.size() && digits(t, pos + 1, 2, oh) &&
           t[pos + 3] == ':' && digits(t, pos + 4, 2, om) && oh <= 23 && om <= 59;
}

} // namespace

std::int32_t days_since_2000(CivilDate date) {
    return days_from_civil(date.year, date.month, date.day) - kUnixToPostgresEpochDays;
}

CivilDate civil_from_days_since_2000(std::int32_t days) {
    const std::int32_t z = days + kUnixToPostgresEpochDays + 719468;
    const int era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return CivilDate{static_cast<int>(yoe) + era * 400 + (m <= 2), m, d};
}

DateParse parse_usage_date(std::string_view text) {
    unsigned y, m, d;
    if (text.size() < 10 || !digits(text, 0, 4, y) || text[4] != '-' || !digits(text, 5, 2, m) ||
        text[7] != '-' || !digits(text, 8, 2, d) ||
        (text.size() > 10 && !valid_time_suffix(text.substr(10))))
        return {std::nullopt, "is not a date of the form YYYY-MM-DD"};
    const int year = static_cast<int>(y);
    if (m < 1 || m > 12 || d < 1 || d > days_in_month(year, m))
        return {std::nullopt, "is not a valid calendar date"};
    if (year < kMinYear || year > kMaxYear)
        return {std::nullopt, "is outside the supported range 2000-01-01 to 2199-12-31"};
    return {days_since_2000({year, m, d}), {}};
}

std::string format_date(std::int32_t days) {
    const CivilDate c = civil_from_days_since_2000(days);
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", c.year, c.month, c.day);
    return buf;
}

} // namespace usage_archive::core
