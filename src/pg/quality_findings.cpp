#include "quality_findings.hpp"

extern "C" {
#include "utils/date.h"
#include "utils/tuplestore.h"
}

namespace usage_archive::pg {

QualityFindings::QualityFindings(FunctionCallInfo fcinfo) : fcinfo_(fcinfo) {
    pg_call([fcinfo]() noexcept { InitMaterializedSRF(fcinfo, 0); });
}

void QualityFindings::add_rows_of(const char *sql, const std::vector<SpiArg> &args) {
    const std::uint64_t n = spi_execute(sql, args);
    FunctionCallInfo fcinfo = fcinfo_;
    pg_call([fcinfo, n]() noexcept {
        ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
        if (SPI_tuptable->tupdesc->natts != rsinfo->setDesc->natts)
            elog(ERROR, "usage_archive: a data-quality check returned %d columns", SPI_tuptable->tupdesc->natts);
        Datum values[9];
        bool nulls[9];
        for (uint64 r = 0; r < n; ++r) {
            for (int c = 0; c < rsinfo->setDesc->natts && c < 9; ++c)
                values[c] = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, c + 1, &nulls[c]);
            tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
        }
    });
    spi_free_result();
}

void QualityFindings::add(const Finding &f) {
    FunctionCallInfo fcinfo = fcinfo_;
    const char *source = f.source ? f.source->c_str() : nullptr;
    const char *line = f.service_line_number ? f.service_line_number->c_str() : nullptr;
    const char *observed = f.observed ? f.observed->c_str() : nullptr;
    const char *expected = f.expected ? f.expected->c_str() : nullptr;
    const char *detail = f.detail.c_str();
    const bool has_start = f.period_start.has_value(), has_end = f.period_end.has_value();
    const std::int32_t start = f.period_start.value_or(0), end = f.period_end.value_or(0);
    const char *check_name = f.check_name, *severity = f.severity;
    pg_call([=]() noexcept {
        ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
        auto numeric = [](const char *text) {
            return DirectFunctionCall3(numeric_in, CStringGetDatum(text), ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
        };
        Datum values[9] = {CStringGetTextDatum(check_name),
                           CStringGetTextDatum(severity),
                           source ? CStringGetTextDatum(source) : Datum(0),
                           line ? CStringGetTextDatum(line) : Datum(0),
                           DateADTGetDatum(start),
                           DateADTGetDatum(end),
                           observed ? numeric(observed) : Datum(0),
                           expected ? numeric(expected) : Datum(0),
                           DirectFunctionCall1(jsonb_in, CStringGetDatum(detail))};
        bool nulls[9] = {false, false, !source, !line, !has_start, !has_end, !observed, !expected, false};
        tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    });
}

} // namespace usage_archive::pg
