#include "numeric_milli.hpp"

#include "error_bridge.hpp"

namespace usage_archive::pg {
namespace {

// The on-disk numeric layout (src/backend/utils/adt/numeric.c). It is part of the stored
// format, so pg_upgrade guarantees it cannot change: a header word, an optional weight
// word, then base-10000 digits, most significant first.
constexpr std::uint16_t kSignMask = 0xC000;
constexpr std::uint16_t kNegative = 0x4000;
constexpr std::uint16_t kShort = 0x8000;
constexpr std::uint16_t kSpecial = 0xC000;
constexpr std::uint16_t kShortSign = 0x2000;
constexpr std::uint16_t kShortWeightSign = 0x0040;
constexpr std::uint16_t kShortWeightMask = 0x003F;
constexpr int kBase = 10000;

std::uint16_t read_u16(const char *p) {
    std::uint16_t v;
    std::memcpy(&v, p, sizeof v); // digits of a short-header datum need not be aligned
    return v;
}

bool decode(Datum value, core::MilliGb *out) {
    const struct varlena *v = reinterpret_cast<const struct varlena *>(DatumGetPointer(value));
    if (VARATT_IS_EXTENDED(v) && !VARATT_IS_SHORT(v))
        return false; // compressed or external: never for a numeric(14,3), let PostgreSQL handle it
    const char *data = VARDATA_ANY(v);
    const std::size_t size = VARSIZE_ANY_EXHDR(v);
    if (size < 2)
        return false;
    const std::uint16_t header = read_u16(data);
    bool negative;
    int weight;
    std::size_t offset;
    if ((header & kSignMask) == kShort) {
        negative = (header & kShortSign) != 0;
        weight = (header & kShortWeightSign) ? static_cast<int>(~kShortWeightMask | (header & kShortWeightMask))
                                             : static_cast<int>(header & kShortWeightMask);
        offset = 2;
    } else if ((header & kSignMask) == kSpecial) {
        return false; // NaN or infinity
    } else {
        if (size < 4)
            return false;
        negative = (header & kSignMask) == kNegative;
        weight = static_cast<std::int16_t>(read_u16(data + 2));
        offset = 4;
    }
    const std::size_t ndigits = (size - offset) / 2;
    // Value = sum digit[i] * 10000^(weight - i); in thousandths each digit contributes
    // digit * 10^(4 * (weight - i) + 3).
    std::int64_t milli = 0;
    for (std::size_t i = 0; i < ndigits; ++i) {
        const int digit = read_u16(data + offset + 2 * i);
        if (digit >= kBase)
            return false;
        const int exponent = 4 * (weight - static_cast<int>(i)) + 3;
        if (exponent == -1) {
            if (digit % 10 != 0)
                return false; // a fourth decimal: not a value of ours
            milli += digit / 10;
        } else if (exponent < -1) {
            if (digit != 0)
                return false;
        } else {
            if (exponent > 15)
                return false;
            std::int64_t scale = 1;
            for (int e = 0; e < exponent; ++e)
                scale *= 10;
            std::int64_t part;
            if (__builtin_mul_overflow(static_cast<std::int64_t>(digit), scale, &part) ||
                __builtin_add_overflow(milli, part, &milli))
                return false; // beyond int64: PostgreSQL's arithmetic below reports it
        }
    }
    *out = negative ? -milli : milli;
    return true;
}

} // namespace

bool numeric_to_milli(Datum value, core::MilliGb *out) {
    if (decode(value, out))
        return true;
    // The general way: round(value * 1000) as int8. NaN or overflow ends up here as false.
    bool ok = false;
    std::int64_t result = 0;
    std::int64_t *result_ptr = &result;
    ok = pg_call([value, result_ptr]() noexcept {
        Numeric n = DatumGetNumeric(value);
        if (numeric_is_nan(n) || numeric_is_inf(n))
            return false;
        Datum thousand = NumericGetDatum(int64_to_numeric(1000));
        Datum scaled = DirectFunctionCall2(numeric_mul, NumericGetDatum(n), thousand);
        *result_ptr = DatumGetInt64(DirectFunctionCall1(numeric_int8, scaled));
        return true;
    });
    *out = result;
    return ok;
}

} // namespace usage_archive::pg
