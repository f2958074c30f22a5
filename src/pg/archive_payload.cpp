// SQL entry points usage_archive.archive_payload(source, payload text | jsonb).
#include "archive_engine.hpp"
#include "error_bridge.hpp"
#include "spi_support.hpp"

extern "C" {
#include "utils/jsonb.h"
}

namespace usage_archive::pg {
namespace {

std::string required_text_arg(FunctionCallInfo fcinfo, int n, const char *name) {
    if (PG_ARGISNULL(n))
        throw SqlError(ERRCODE_NULL_VALUE_NOT_ALLOWED, std::string(name) + " must not be null");
    text *t = pg_call([fcinfo, n] { return PG_GETARG_TEXT_PP(n); });
    return std::string(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

// The archive_stats composite the functions return.
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
    return pg_call([fcinfo, v] {
        TupleDesc desc;
        if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
            elog(ERROR, "usage_archive: archive_stats return type expected");
        desc = BlessTupleDesc(desc);
        bool nulls[7] = {false, false, false, false, false, false, false};
        return HeapTupleGetDatum(heap_form_tuple(desc, v, nulls));
    });
}

// Payload text stays where PostgreSQL detoasted it: parsed in place, never copied.
Datum archive(FunctionCallInfo fcinfo, std::string_view payload, const std::string &source) {
    spi_connect();
    ArchiveResult result = run_archive(source, payload, "archive_payload");
    spi_finish(); // before building the result: it must live in the caller's memory context
    return stats_datum(fcinfo, result);
}

Datum archive_payload_text_body(FunctionCallInfo fcinfo) {
    const std::string source = required_text_arg(fcinfo, 0, "source");
    if (PG_ARGISNULL(1))
        throw SqlError(ERRCODE_NULL_VALUE_NOT_ALLOWED, "payload must not be null");
    text *payload = pg_call([fcinfo] { return PG_GETARG_TEXT_PP(1); });
    return archive(fcinfo, std::string_view(VARDATA_ANY(payload), VARSIZE_ANY_EXHDR(payload)), source);
}

Datum archive_payload_jsonb_body(FunctionCallInfo fcinfo) {
    const std::string source = required_text_arg(fcinfo, 0, "source");
    if (PG_ARGISNULL(1))
        throw SqlError(ERRCODE_NULL_VALUE_NOT_ALLOWED, "payload must not be null");
    // Rendered back to JSON text so both overloads go through the one streaming parser.
    char *json = pg_call([fcinfo] {
        Jsonb *jb = PG_GETARG_JSONB_P(1);
        return JsonbToCString(nullptr, &jb->root, VARSIZE(jb));
    });
    return archive(fcinfo, std::string_view(json), source);
}

} // namespace
} // namespace usage_archive::pg

USAGE_ARCHIVE_SQL_FUNCTION(usage_archive_archive_payload_text, usage_archive::pg::archive_payload_text_body)
USAGE_ARCHIVE_SQL_FUNCTION(usage_archive_archive_payload_jsonb, usage_archive::pg::archive_payload_jsonb_body)
