// The usual short JSON decimals read straight from their text, for the fast parser
// (fast_starlink_parser.cpp): the same double nlohmann's strtod gives, several times faster
// than handing each number to simdjson. Inline: it runs for every number of a body.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace usage_archive::core {

inline bool is_json_whitespace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

inline constexpr std::uint64_t kPowersOfTen[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};

inline std::uint64_t load8(const char *p) {
    std::uint64_t bytes;
    std::memcpy(&bytes, p, 8);
    return bytes; // little-endian: p[0] is the lowest byte (x86-64, as simdjson's kernels here)
}

// How many of the 8 bytes at p are digits before the first that is not (8: all are).
inline int digit_run(const char *p) {
    const std::uint64_t x = load8(p) ^ 0x3030303030303030u; // a digit becomes 0..9
    // A byte's high bit set where x >= 10: above 0x7f already, or its low 7 bits plus 0x76
    // reach 0x80 (no carry crosses bytes: at most 0x7f + 0x76).
    const std::uint64_t not_digit = (((x & 0x7f7f7f7f7f7f7f7fu) + 0x7676767676767676u) | x) & 0x8080808080808080u;
    return not_digit ? __builtin_ctzll(not_digit) / 8 : 8;
}

// The value of the n (1 to 7) digits at p.
inline std::uint64_t digits_value(const char *p, int n) {
    // The digits moved to the top bytes, '0's below them: eight digits, the number's value.
    std::uint64_t x = (load8(p) << (8 * (8 - n))) | (0x3030303030303030u >> (8 * n));
    x -= 0x3030303030303030u;
    x = (x * 10 + (x >> 8)) & 0x00ff00ff00ff00ffu;
    x = (x * 100 + (x >> 16)) & 0x0000ffff0000ffffu;
    return (x * 10000 + (x >> 32)) & 0xffffffffu;
}

// The usual short decimals ("12.34", "0", "-1.5"), read here rather than by simdjson: up to
// 7 digits before the point and 7 after, without an exponent.
struct JsonDecimal {
    std::uint64_t digits = 0; // "12.34": 1234
    int decimals = 0;         // "12.34": 2
    bool negative = false;

    // digits / 10^decimals: both exact doubles, so the quotient is the correctly rounded
    // value strtod gives (simdjson computes its own fast path the same way).
    double value() const {
        double d = static_cast<double>(digits);
        if (decimals)
            d /= static_cast<double>(kPowersOfTen[decimals]);
        // "-0" is the integer 0 to nlohmann; "-0.0" is the double -0.0.
        return negative && (digits != 0 || decimals) ? -d : d;
    }
};

// Reads the JSON grammar's -?(0|[1-9][0-9]*)(\.[0-9]+)? followed by nothing but
// whitespace up to the next token; false for anything else (simdjson judges it). Runs of
// up to 7 digits are read 8 bytes at a time (the text goes on at least to the padding).
inline bool read_json_decimal(std::string_view token, JsonDecimal &out) {
    const char *p = token.data();
    const char *const end = p + token.size();
    out.negative = *p == '-';
    p += out.negative;
    const int whole = digit_run(p);
    if (whole == 0 || whole > 7 || (whole > 1 && *p == '0')) // none, long, or a leading zero
        return false;
    std::uint64_t digits = digits_value(p, whole);
    p += whole;
    int decimals = 0;
    if (*p == '.') {
        ++p;
        decimals = digit_run(p);
        if (decimals == 0 || decimals > 7)
            return false;
        digits = digits * kPowersOfTen[decimals] + digits_value(p, decimals);
        p += decimals;
    }
    while (p < end && is_json_whitespace(*p))
        ++p;
    if (p != end) // an exponent, or not a number at all
        return false;
    out.digits = digits; // at most 14 digits: below 2^53
    out.decimals = decimals;
    return true;
}

} // namespace usage_archive::core
