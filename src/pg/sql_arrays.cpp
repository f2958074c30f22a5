#include "sql_arrays.hpp"

extern "C" {
#include "utils/date.h"
#include "utils/lsyscache.h"
}

namespace usage_archive::pg {
namespace {

// Builds the array in the current memory context. `fill` fills datums/nulls; it runs
// inside pg_call because building elements (numeric, text) allocates.
template <typename Fill> SpiArg build_array(Oid array_type, Oid element_type, int n, Fill fill) {
    Datum array = pg_call([&]() noexcept {
        int16 len;
        bool byval;
        char align;
        get_typlenbyvalalign(element_type, &len, &byval, &align);
        Datum *datums = static_cast<Datum *>(palloc(sizeof(Datum) * (n > 0 ? n : 1)));
        bool *nulls = static_cast<bool *>(palloc(sizeof(bool) * (n > 0 ? n : 1)));
        fill(datums, nulls);
        int dims[1] = {n};
        int lbs[1] = {1};
        ArrayType *a = n > 0 ? construct_md_array(datums, nulls, 1, dims, lbs, element_type, len, byval, align)
                             : construct_empty_array(element_type);
        pfree(datums);
        pfree(nulls);
        return PointerGetDatum(a);
    });
    return SpiArg{array_type, array};
}

template <typename T> bool is_null(const T &) { return false; }
template <typename T> bool is_null(const std::optional<T> &value) { return !value; }
template <typename T> const T &value_of(const T &value) { return value; }
template <typename T> const T &value_of(const std::optional<T> &value) { return *value; }

// An array of `values` (an empty std::optional is NULL), each other value made a Datum by
// `to_datum`, a function without state: it runs inside build_array's pg_call.
template <typename T, typename ToDatum>
SpiArg array_arg(Oid array_type, Oid element_type, const std::vector<T> &values, ToDatum to_datum) {
    const T *v = values.data();
    const int n = static_cast<int>(values.size());
    return build_array(array_type, element_type, n, [v, n, to_datum](Datum *d, bool *nulls) {
        for (int i = 0; i < n; ++i) {
            nulls[i] = is_null(v[i]);
            d[i] = nulls[i] ? Datum(0) : to_datum(value_of(v[i]));
        }
    });
}

} // namespace

SpiArg int8_array_arg(const std::vector<std::int64_t> &values) {
    return array_arg(INT8ARRAYOID, INT8OID, values, [](std::int64_t v) { return Int64GetDatum(v); });
}

SpiArg date_array_arg(const std::vector<std::int32_t> &values) {
    return array_arg(DATEARRAYOID, DATEOID, values, [](std::int32_t v) { return DateADTGetDatum(v); });
}

SpiArg milli_array_arg(const std::vector<std::optional<core::MilliGb>> &values) {
    return array_arg(NUMERICARRAYOID, NUMERICOID, values,
                     [](core::MilliGb v) { return NumericGetDatum(int64_div_fast_to_numeric(v, 3)); });
}

SpiArg text_array_arg(const std::vector<std::optional<std::string>> &values) {
    std::vector<const char *> c(values.size());
    for (std::size_t i = 0; i < values.size(); ++i)
        c[i] = values[i] ? values[i]->c_str() : nullptr;
    const char *const *v = c.data();
    const int n = static_cast<int>(values.size());
    return build_array(TEXTARRAYOID, TEXTOID, n, [v, n](Datum *d, bool *nulls) {
        for (int i = 0; i < n; ++i) {
            nulls[i] = v[i] == nullptr;
            d[i] = nulls[i] ? Datum(0) : PointerGetDatum(cstring_to_text(v[i]));
        }
    });
}

SpiArg float8_array_arg(const std::vector<std::optional<double>> &values) {
    return array_arg(FLOAT8ARRAYOID, FLOAT8OID, values, [](double v) { return Float8GetDatum(v); });
}

SpiArg result_column_array_arg(int column, Oid array_type, Oid element_type, std::uint64_t rows) {
    const int n = static_cast<int>(rows);
    return build_array(array_type, element_type, n, [column, n](Datum *d, bool *nulls) {
        for (int i = 0; i < n; ++i)
            d[i] = spi_datum(static_cast<std::uint64_t>(i), column, &nulls[i]);
    });
}

} // namespace usage_archive::pg
