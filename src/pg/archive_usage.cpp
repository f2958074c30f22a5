// SQL entry point usage_archive.archive_usage(source, previous_billing_cycles, service_lines):
// fetch from the vendor API, then archive through the same engine as archive_payload.
#include "entry_support.hpp"
#include "usage_fetch_run.hpp"

namespace usage_archive::pg {
namespace {

// The API returns the current cycle plus this many earlier ones; a decade is plenty.
constexpr int kMaxPreviousCycles = 120;

Datum archive_usage_body(FunctionCallInfo fcinfo) {
    const std::string source = required_text_arg(fcinfo, 0, "source");
    UsageQuery query;
    if (!PG_ARGISNULL(1))
        query.previous_billing_cycles = PG_GETARG_INT32(1);
    if (query.previous_billing_cycles < 0 || query.previous_billing_cycles > kMaxPreviousCycles)
        throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE,
                       "previous_billing_cycles must be between 0 and " + std::to_string(kMaxPreviousCycles));
    query.service_lines = optional_text_array_arg(fcinfo, 2, "service_lines");
    return archive_and_report(fcinfo, source, "archive_usage",
                              [&query](const SourceConfig &s, core::PayloadParser &parser, RunCounters &counters) {
                                  fetch_and_parse(s, query, parser, counters);
                              });
}

} // namespace
} // namespace usage_archive::pg

USAGE_ARCHIVE_SQL_FUNCTION(usage_archive_archive_usage, usage_archive::pg::archive_usage_body)
