// archive_usage's payload producer: fetch a source's usage over HTTP with the settings,
// credentials and limits of this backend, parsing each page as it arrives.
#pragma once

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
};

// Raises 55000 for a source that cannot be fetched (no base_url, missing credentials),
// 38000 for HTTP failures (message: method, URL without credentials, status, the API's
// text), 57014 when cancelled. Parse errors of a page name the request they came from.
void fetch_and_parse(const SourceConfig &source, const UsageQuery &query, core::PayloadParser &parser,
                     RunCounters &counters);

} // namespace usage_archive::pg
