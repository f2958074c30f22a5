// Fetching one source's usage: the starlink data-usage query with all its pages, or the
// simple kind's single GET. Each body is handed to `sink` as soon as it arrives (the sink
// parses it), so a run holds a few pages in memory, not the whole fleet's JSON.
#pragma once

#include "request_runner.hpp"

#include "core/payload_parser.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace usage_archive::http {

struct StarlinkQuery {
    std::string base_url;                // e.g. https://starlink.com/api
    int page_limit = 50;                 // service lines per page (the API allows 1..250)
    int previous_billing_cycles = 1;     // cycles before the current one...
    std::optional<std::vector<std::string>> service_lines; // null or empty: all lines
    std::optional<std::string> query_start_date; // ...or, when set ("YYYY-MM-DD"), every cycle from this day on
    bool active_service_lines_only = false; // false: inactive lines' last cycles too
    // Pages requested at once before page 0 has said how many there are (pages past the last
    // are dropped): a guess from the source's last run, at most max_concurrent_requests.
    int speculative_pages = 1;
};

// The JSON body of every page's request, as the API's own clients send it:
//   {"serviceLineNumbers": [...], "previousBillingCycles": N, "activeServiceLinesOnly": B}
//   {"serviceLineNumbers": [...], "queryStartDate": "YYYY-MM-DDT00:00:00Z", "activeServiceLinesOnly": B}
// serviceLineNumbers is [] for all lines (never null: a strict validator answers 422).
std::string starlink_request_body(const StarlinkQuery &query);

// The body as a run log keeps it: at most `max_bytes`, the line list cut from its end if
// need be and "serviceLineNumbersOmitted" saying how many lines were left out.
std::string starlink_request_record(const StarlinkQuery &query, std::size_t max_bytes);

// Parses one body; `where` describes the request it answered, for error messages.
using PageSink = std::function<core::PageInfo(std::string_view body, const std::string &where)>;

// Pages 0 .. speculative_pages-1 at once; from page 0's totalCount the remaining pages are
// planned and fetched concurrently (32 requests handed to the transport at a time), each
// parsed as soon as it and the pages before it have arrived; if the last planned page does
// not say isLastPage, fetching goes on page by page until one does (the fleet grew meanwhile).
void fetch_starlink_usage(RequestRunner &runner, Authorizer *auth, RequestBudget &budget, const StarlinkQuery &query,
                          const PageSink &sink);

void fetch_simple_usage(RequestRunner &runner, Authorizer *auth, RequestBudget &budget, const std::string &url,
                        const PageSink &sink);

// The request for one page (exposed for tests).
HttpRequest starlink_page_request(const StarlinkQuery &query, std::int64_t page);

} // namespace usage_archive::http
