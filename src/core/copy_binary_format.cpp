#include "copy_binary_format.hpp"

#include <cstring>

namespace usage_archive::core {
namespace {
constexpr char kSignature[] = "PGCOPY\n\377\r\n"; // 11 bytes with its trailing NUL
constexpr std::uint16_t kNumericPositive = 0x0000;
constexpr std::uint16_t kNumericNegative = 0x4000;
constexpr std::uint16_t kDisplayScale = 3;
} // namespace

std::size_t write_copy_binary_header(char *out) {
    std::memcpy(out, kSignature, 11);
    std::memset(out + 11, 0, 8); // flags (no OIDs) and header-extension length, both 0
    return kCopyBinaryHeaderSize;
}

std::size_t write_copy_binary_trailer(char *out) {
    out[0] = out[1] = static_cast<char>(0xFF); // field count -1
    return kCopyBinaryTrailerSize;
}

CopyBinaryTuple::CopyBinaryTuple(char *out, std::int16_t field_count) : start_(out), p_(out) {
    put16(static_cast<std::uint16_t>(field_count));
}

void CopyBinaryTuple::put16(std::uint16_t v) {
    p_[0] = static_cast<char>(v >> 8);
    p_[1] = static_cast<char>(v);
    p_ += 2;
}

void CopyBinaryTuple::put32(std::uint32_t v) {
    put16(static_cast<std::uint16_t>(v >> 16));
    put16(static_cast<std::uint16_t>(v));
}

void CopyBinaryTuple::int8(std::int64_t value) {
    put32(8);
    const auto u = static_cast<std::uint64_t>(value);
    put32(static_cast<std::uint32_t>(u >> 32));
    put32(static_cast<std::uint32_t>(u));
}

void CopyBinaryTuple::date(std::int32_t days) {
    put32(4);
    put32(static_cast<std::uint32_t>(days));
}

void CopyBinaryTuple::null() { put32(0xFFFFFFFFu); }

// numeric_send's layout: ndigits, weight, sign, dscale, then base-10000 digits, most
// significant first. Thousandths become one fractional digit group: 0.345 -> 3450.
void CopyBinaryTuple::milli(MilliGb value) {
    const bool negative = value < 0;
    std::uint64_t magnitude = negative ? 0ULL - static_cast<std::uint64_t>(value) : static_cast<std::uint64_t>(value);
    const auto fraction = static_cast<std::uint16_t>((magnitude % 1000) * 10);
    std::uint64_t integer = magnitude / 1000;

    std::uint16_t groups[6]; // integer part, least significant first
    int integer_groups = 0;
    while (integer > 0) {
        groups[integer_groups++] = static_cast<std::uint16_t>(integer % 10000);
        integer /= 10000;
    }
    std::uint16_t digits[7];
    int ndigits = 0;
    for (int i = integer_groups - 1; i >= 0; --i)
        digits[ndigits++] = groups[i];
    digits[ndigits++] = fraction;
    int weight = integer_groups - 1;
    // Normalise as PostgreSQL does: no leading or trailing zero groups (zero has none).
    int first = 0;
    while (first < ndigits && digits[first] == 0) {
        ++first;
        --weight;
    }
    while (ndigits > first && digits[ndigits - 1] == 0)
        --ndigits;
    const int count = ndigits - first;
    if (count == 0)
        weight = 0;

    put32(static_cast<std::uint32_t>(8 + 2 * count));
    put16(static_cast<std::uint16_t>(count));
    put16(static_cast<std::uint16_t>(static_cast<std::int16_t>(weight)));
    put16(negative && count > 0 ? kNumericNegative : kNumericPositive);
    put16(kDisplayScale);
    for (int i = first; i < ndigits; ++i)
        put16(digits[i]);
}

} // namespace usage_archive::core
