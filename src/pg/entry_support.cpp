#include "entry_support.hpp"

#include "spi_support.hpp"

namespace usage_archive::pg {

Datum stats_datum(FunctionCallInfo fcinfo, const ArchiveResult &r) {
    const RunCounters &c = r.counters;
    Datum values[7] = {Int64GetDatum(r.run_id),
                       Int64GetDatum(static_cast<std::int64_t>(c.inserted)),
                       Int64GetDatum(static_cast<std::int64_t>(c.updated)),
                       Int64GetDatum(static_cast<std::int64_t>(c.unchanged)),
                       Int64GetDatum(static_cast<std::int64_t>(c.skipped)),
                       Int64GetDatum(static_cast<std::int64_t>(c.rejected)),
                       Int64GetDatum(static_cast<std::int64_t>(c.collapsed))};
    Datum *v = values;
    return pg_call([fcinfo, v]() noexcept {
        TupleDesc desc;
        if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
            elog(ERROR, "usage_archive: archive_stats return type expected");
        desc = BlessTupleDesc(desc);
        bool nulls[7] = {false, false, false, false, false, false, false};
        return HeapTupleGetDatum(heap_form_tuple(desc, v, nulls));
    });
}

std::string required_text_arg(FunctionCallInfo fcinfo, int n, const char *name) {
    if (PG_ARGISNULL(n))
        throw SqlError(ERRCODE_NULL_VALUE_NOT_ALLOWED, std::string(name) + " must not be null");
    text *t = pg_call([fcinfo, n]() noexcept { return PG_GETARG_TEXT_PP(n); });
    return std::string(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

std::optional<std::vector<std::string>> optional_text_array_arg(FunctionCallInfo fcinfo, int n, const char *name) {
    if (PG_ARGISNULL(n))
        return std::nullopt;
    Datum *elements;
    bool *nulls;
    int count;
    int dimensions;
    pg_call([fcinfo, n, &elements, &nulls, &count, &dimensions]() noexcept {
        ArrayType *array = PG_GETARG_ARRAYTYPE_P(n);
        dimensions = ARR_NDIM(array);
        deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &elements, &nulls, &count);
    });
    // deconstruct_array flattens: ARRAY[['a','b'],['c','d']] would silently become four items.
    if (dimensions > 1)
        throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE,
                       std::string(name) + " must be a one-dimensional array, not " + std::to_string(dimensions) +
                           "-dimensional");
    std::vector<std::string> out;
    for (int i = 0; i < count; ++i) {
        if (nulls[i])
            throw SqlError(ERRCODE_NULL_VALUE_NOT_ALLOWED, std::string(name) + " must not contain NULL");
        text *t = DatumGetTextPP(elements[i]); // deconstruct_array returned detoasted, untoasted values
        out.emplace_back(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
    }
    return out;
}

std::string source_for_log(FunctionCallInfo fcinfo) {
    return PG_ARGISNULL(0) ? std::string() : required_text_arg(fcinfo, 0, "source");
}

Datum archive_and_report(FunctionCallInfo fcinfo, const char *entry_point, const std::function<ArchiveCall()> &read_arguments) {
    spi_connect();
    ArchiveResult result = archive_call(source_for_log(fcinfo), entry_point, read_arguments);
    spi_finish(); // before building the result: it must live in the caller's memory context
    return stats_datum(fcinfo, result);
}

} // namespace usage_archive::pg
