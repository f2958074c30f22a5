#include "usage_fetch.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace usage_archive::http {
namespace {

// A runaway guard: no real fleet needs more pages than this at the API's 250 lines a page.
constexpr std::int64_t kMaxPages = 100000;

void deliver(const PageSink &sink, const HttpRequest &request, const HttpResponse &response, core::PageInfo *info) {
    core::PageInfo got = sink(response.body, describe_request(request));
    if (info)
        *info = got;
}

} // namespace

HttpRequest starlink_page_request(const StarlinkQuery &query, std::int64_t page) {
    std::string base = query.base_url;
    while (!base.empty() && base.back() == '/')
        base.pop_back();
    nlohmann::json body = {{"previousBillingCycles", query.previous_billing_cycles}};
    body["serviceLineNumbers"] = query.service_lines ? nlohmann::json(*query.service_lines) : nlohmann::json(nullptr);
    HttpRequest r;
    r.method = "POST";
    r.url = base + "/public/v2/data-usage/query?page=" + std::to_string(page) + "&limit=" + std::to_string(query.page_limit);
    r.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
    r.body = body.dump();
    return r;
}

void fetch_starlink_usage(RequestRunner &runner, Authorizer *auth, RateLimiter &limiter, const StarlinkQuery &query,
                          const PageSink &sink) {
    core::PageInfo info;
    HttpRequest first = starlink_page_request(query, 0);
    deliver(sink, first, runner.run({first}, auth, &limiter).front(), &info);
    if (info.is_last_page.value_or(true))
        return; // the last page, or a response that does not page at all
    std::int64_t next = 1;
    if (info.total_count) {
        const std::int64_t limit = std::max<std::int64_t>(1, info.limit.value_or(query.page_limit));
        const std::int64_t planned = std::min(kMaxPages, (*info.total_count + limit - 1) / limit);
        // A window of pages per round: concurrency without holding every body at once.
        const std::int64_t window = 16;
        while (next < planned) {
            std::vector<HttpRequest> requests;
            for (std::int64_t p = next; p < std::min(planned, next + window); ++p)
                requests.push_back(starlink_page_request(query, p));
            std::vector<HttpResponse> got = runner.run(requests, auth, &limiter);
            for (std::size_t k = 0; k < got.size(); ++k)
                deliver(sink, requests[k], got[k], &info);
            next += static_cast<std::int64_t>(requests.size());
        }
        if (info.is_last_page.value_or(true))
            return;
    }
    for (; next < kMaxPages; ++next) {
        HttpRequest request = starlink_page_request(query, next);
        deliver(sink, request, runner.run({request}, auth, &limiter).front(), &info);
        if (info.is_last_page.value_or(true))
            return;
    }
    throw HttpError(HttpError::Kind::status, "the API kept reporting more pages after " + std::to_string(kMaxPages));
}

void fetch_simple_usage(RequestRunner &runner, Authorizer *auth, RateLimiter &limiter, const std::string &url,
                        const PageSink &sink) {
    HttpRequest request{"GET", url, {{"Accept", "application/json"}}, {}};
    deliver(sink, request, runner.run({request}, auth, &limiter).front(), nullptr);
}

} // namespace usage_archive::http
