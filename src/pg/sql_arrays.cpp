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

} // namespace

SpiArg int8_array_arg(const std::vector<std::int64_t> &values) {
    const std::int64_t *v = values.data();
    const int n = static_cast<int>(values.size());
    return build_array(INT8ARRAYOID, INT8OID, n, [v, n](Datum *d, bool *nulls) {
        for (int i = 0; i < n; ++i) {
            d[i] = Int64GetDatum(v[i]);
            nulls[i] = false;
        }
    });
}

SpiArg date_array_arg(const std::vector<std::int32_t> &values) {
    const std::int32_t *v = values.data();
    const int n = static_cast<int>(values.size());
    return build_array(DATEARRAYOID, DATEOID, n, [v, n](Datum *d, bool *nulls) {
        for (int i = 0; i < n; ++i) {
            d[i] = DateADTGetDatum(v[i]);
            nulls[i] = false;
        }
    });
}

SpiArg milli_array_arg(const std::vector<std::optional<core::MilliGb>> &values) {
    const std::optional<core::MilliGb> *v = values.data();
    const int n = static_cast<int>(values.size());
    return build_array(NUMERICARRAYOID, NUMERICOID, n, [v, n](Datum *d, bool *nulls) {
        for (int i = 0; i < n; ++i) {
            nulls[i] = !v[i].has_value();
            d[i] = nulls[i] ? Datum(0) : NumericGetDatum(int64_div_fast_to_numeric(*v[i], 3));
        }
    });
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
    const std::optional<double> *v = values.data();
    const int n = static_cast<int>(values.size());
    return build_array(FLOAT8ARRAYOID, FLOAT8OID, n, [v, n](Datum *d, bool *nulls) {
        for (int i = 0; i < n; ++i) {
            nulls[i] = !v[i].has_value();
            d[i] = nulls[i] ? Datum(0) : Float8GetDatum(*v[i]);
        }
    });
}

SpiArg result_column_array_arg(int column, Oid array_type, Oid element_type, std::uint64_t rows) {
    const int n = static_cast<int>(rows);
    return build_array(array_type, element_type, n, [column, n](Datum *d, bool *nulls) {
        for (int i = 0; i < n; ++i)
            d[i] = spi_datum(static_cast<std::uint64_t>(i), column, &nulls[i]);
    });
}

} // namespace usage_archive::pg
