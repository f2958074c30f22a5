#include "usage_fetch.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>

namespace usage_archive::http {
namespace {

// A runaway guard: no real fleet needs more pages than this at the API's 250 lines a page.
constexpr std::int64_t kMaxPages = 100000;
// Pages handed to the transport at once: enough to keep max_concurrent_requests transfers
// busy between parses, few enough that waiting bodies stay a few dozen megabytes.
constexpr std::int64_t kPageWindow = 32;

void deliver(const PageSink &sink, const HttpRequest &request, const HttpResponse &response, core::PageInfo *info) {
    core::PageInfo got = sink(response.body, describe_request(request));
    if (info)
        *info = got;
}

} // namespace

std::string starlink_request_body(const StarlinkQuery &query) {
    nlohmann::ordered_json body;
    body["serviceLineNumbers"] = query.service_lines ? nlohmann::ordered_json(*query.service_lines)
                                                     : nlohmann::ordered_json::array();
    if (query.query_start_date)
        body["queryStartDate"] = *query.query_start_date + "T00:00:00Z";
    else
        body["previousBillingCycles"] = query.previous_billing_cycles;
    body["activeServiceLinesOnly"] = query.active_service_lines_only;
    return body.dump();
}

std::string starlink_request_record(const StarlinkQuery &query, std::size_t max_bytes) {
    std::string body = starlink_request_body(query);
    if (body.size() <= max_bytes || !query.service_lines)
        return body;
    // Halving until it fits, then adding back one by one, keeps this linear in the list.
    StarlinkQuery cut = query;
    std::vector<std::string> &lines = *cut.service_lines;
    const std::size_t all = lines.size();
    auto record_of = [&](std::size_t kept) {
        lines.assign(query.service_lines->begin(), query.service_lines->begin() + static_cast<std::ptrdiff_t>(kept));
        nlohmann::ordered_json j = nlohmann::ordered_json::parse(starlink_request_body(cut));
        j["serviceLineNumbersOmitted"] = all - kept;
        return j.dump();
    };
    std::size_t kept = all;
    while (kept > 0 && record_of(kept).size() > max_bytes)
        kept /= 2;
    while (kept < all && record_of(kept + 1).size() <= max_bytes)
        ++kept;
    return record_of(kept);
}

HttpRequest starlink_page_request(const StarlinkQuery &query, std::int64_t page) {
    std::string base = query.base_url;
    while (!base.empty() && base.back() == '/')
        base.pop_back();
    HttpRequest r;
    r.method = "POST";
    r.url = base + "/public/v2/data-usage/query?page=" + std::to_string(page) + "&limit=" + std::to_string(query.page_limit);
    r.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
    r.body = starlink_request_body(query);
    return r;
}

void fetch_starlink_usage(RequestRunner &runner, Authorizer *auth, RequestBudget &budget, const StarlinkQuery &query,
                          const PageSink &sink) {
    core::PageInfo info;
    bool done = false;          // a delivered page said it was the last
    std::int64_t next = 0;      // the first page not requested yet
    // Pages known or guessed to exist: page 0's totalCount replaces the guess.
    std::int64_t planned = std::clamp<std::int64_t>(query.speculative_pages, 1, kMaxPages);
    bool counted = false;
    while (!done) {
        if (next >= kMaxPages)
            throw HttpError(HttpError::Kind::status,
                            "the API kept reporting more pages after " + std::to_string(kMaxPages));
        // Past the planned pages (the fleet grew meanwhile, or the API does not say how many
        // there are): one page at a time until one says it is the last.
        const std::int64_t until = std::min(kMaxPages, std::max(next + 1, std::min(planned, next + kPageWindow)));
        std::vector<HttpRequest> requests;
        for (std::int64_t p = next; p < until; ++p)
            requests.push_back(starlink_page_request(query, p));
        // Pages are parsed as they arrive, while the later ones are still in flight, but in
        // page order: a page that overtakes an earlier one waits for it. The order decides
        // which of two copies of a day wins, so it must not depend on network timing. A window
        // bounds how many bodies can wait so (a retried early page holds the later ones back).
        // Pages past the one that says it is the last were requested on speculation: their
        // answers (or failures) are dropped.
        std::map<std::size_t, HttpResponse> early;
        std::size_t in_order = 0;
        runner.run(
            requests, auth, &budget,
            [&](std::size_t i, HttpResponse &response) {
                if (done)
                    return;
                early.emplace(i, std::move(response));
                for (auto it = early.find(in_order); !done && it != early.end(); it = early.find(in_order)) {
                    deliver(sink, requests[in_order], it->second, &info);
                    early.erase(it);
                    ++in_order;
                    done = info.is_last_page.value_or(true); // a response that does not page is all there is
                    if (!counted && info.total_count) {
                        counted = true;
                        const std::int64_t limit = std::max<std::int64_t>(1, info.limit.value_or(query.page_limit));
                        planned = std::min(kMaxPages, (*info.total_count + limit - 1) / limit);
                    }
                }
            },
            [&](std::size_t i) {
                if (i < in_order)
                    return RequestRunner::Need::yes; // delivered already
                if (done)
                    return RequestRunner::Need::no;
                // Needed once every page before it has come and none was the last, or when
                // page 0's totalCount says it exists.
                const bool known = i == in_order || (counted && next + static_cast<std::int64_t>(i) < planned);
                return known ? RequestRunner::Need::yes : RequestRunner::Need::not_known_yet;
            });
        next = until;
    }
}

void fetch_simple_usage(RequestRunner &runner, Authorizer *auth, RequestBudget &budget, const std::string &url,
                        const PageSink &sink) {
    HttpRequest request{"GET", url, {{"Accept", "application/json"}}, {}};
    deliver(sink, request, runner.run({request}, auth, &budget).front(), nullptr);
}

} // namespace usage_archive::http
