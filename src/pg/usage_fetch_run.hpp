// archive_usage's payload producer: fetch a source's usage over HTTP with the settings,
// credentials and limits of this backend, parsing each page as it arrives.
#pragma once

#include "archive_engine.hpp"
#include "run_log.hpp"
#include "source_config.hpp"

#include "core/payload_parser.hpp"

#include <optional>
#include <string>
#include <vector>

namespace usage_archive::pg {

struct UsageQuery {
    int previous_billing_cycles = 1;
    std::optional<std::vector<std::string>> service_lines;
    // A backfill: every billing cycle from this day on (queryStartDate), instead of
    // previous_billing_cycles. Days since 2000-01-01.
    std::optional<std::int32_t> since;
};

// Raises 22023 when previous_billing_cycles is out of range (0..120), or a backfill starts
// in the future or before 2000.
void check_usage_query(const UsageQuery &query);

// archive_usage's payload producer for `query` (checked first). The fetch raises 55000 for a
// source that cannot be fetched (no base_url, missing credentials), 38000 for HTTP failures
// (message: method, URL without credentials, status, the API's text), 57014 when cancelled.
// Parse errors of a page name the request they came from. The HTTP figures reach the
// counters whether the fetch succeeds or fails.
PayloadProducer usage_fetch_producer(UsageQuery query);

} // namespace usage_archive::pg
