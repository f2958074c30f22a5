// SQL entry points usage_archive.archive_usage(source, previous_billing_cycles, service_lines)
// and its backfill form archive_usage(source, since, service_lines): fetch from the vendor
// API, then archive through the same engine as archive_payload.
#include "entry_support.hpp"
#include "usage_fetch_run.hpp"

extern "C" {
#include "utils/date.h"
}

namespace usage_archive::pg {
namespace {

Datum archive_usage_body(FunctionCallInfo fcinfo) {
    return archive_and_report(fcinfo, "archive_usage", [fcinfo] {
        const std::string source = required_text_arg(fcinfo, 0, "source");
        UsageQuery query;
        if (!PG_ARGISNULL(1))
            query.previous_billing_cycles = PG_GETARG_INT32(1);
        query.service_lines = optional_text_array_arg(fcinfo, 2, "service_lines");
        return ArchiveCall{source, usage_fetch_producer(query)};
    });
}

Datum archive_usage_since_body(FunctionCallInfo fcinfo) {
    return archive_and_report(fcinfo, "archive_usage", [fcinfo] {
        const std::string source = required_text_arg(fcinfo, 0, "source");
        if (PG_ARGISNULL(1))
            throw SqlError(ERRCODE_NULL_VALUE_NOT_ALLOWED, "since must not be null");
        const DateADT since = PG_GETARG_DATEADT(1);
        if (DATE_NOT_FINITE(since))
            throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE, "since must be a finite date");
        UsageQuery query;
        query.since = since;
        query.service_lines = optional_text_array_arg(fcinfo, 2, "service_lines");
        return ArchiveCall{source, usage_fetch_producer(query)};
    });
}

} // namespace
} // namespace usage_archive::pg

USAGE_ARCHIVE_SQL_FUNCTION(usage_archive_archive_usage, usage_archive::pg::archive_usage_body)
USAGE_ARCHIVE_SQL_FUNCTION(usage_archive_archive_usage_since, usage_archive::pg::archive_usage_since_body)
