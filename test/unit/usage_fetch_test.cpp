#include "fake_http.hpp"

#include "http/rate_limiter.hpp"
#include "http/usage_fetch.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

using namespace usage_archive;
using namespace usage_archive::http;
using test::FakeEnvironment;
using test::respond;
using test::ScriptedTransport;

namespace {

long page_of(const HttpRequest &r) { return std::stol(r.url.substr(r.url.find("page=") + 5)); }

// A fleet of `lines` lines served `limit` per page; `grow` extra lines appear after page 0.
ScriptedTransport fleet(int lines, int limit, int grow = 0) {
    return ScriptedTransport([=](const HttpRequest &r) {
        const long page = page_of(r);
        const int total = page == 0 ? lines : lines + grow;
        const bool last = (page + 1) * limit >= total;
        return respond(200, nlohmann::json{{"isValid", true},
                                           {"content", {{"pageIndex", page}, {"limit", limit}, {"isLastPage", last}, {"totalCount", total}, {"results", nlohmann::json::array()}}}}
                                .dump());
    });
}

// Fetches every page of `q` through `t` and returns the page indexes in the order parsed.
std::vector<long> fetch_pages(HttpTransport &t, const StarlinkQuery &q, RunnerConfig config, FetchStats &stats) {
    FakeEnvironment env;
    RequestRunner runner(t, env, config, stats);
    RateLimiter limiter(250);
    std::vector<long> pages;
    core::PayloadParser parser(core::SourceKind::starlink, {});
    fetch_starlink_usage(runner, nullptr, limiter, q, [&](std::string_view body, const std::string &) {
        core::PageInfo info = parser.add(body);
        pages.push_back(static_cast<long>(*info.page_index));
        return info;
    });
    return pages;
}

} // namespace

TEST(UsageFetch, PageRequestCarriesTheQuery) {
    StarlinkQuery q{"https://api.test/api/", 250, 2, std::vector<std::string>{"AST-1"}, {}, false};
    HttpRequest r = starlink_page_request(q, 3);
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.url, "https://api.test/api/public/v2/data-usage/query?page=3&limit=250");
    // The exact bytes, in the order the API's own clients send the members.
    EXPECT_EQ(r.body, R"({"serviceLineNumbers":["AST-1"],"previousBillingCycles":2,"activeServiceLinesOnly":false})");
    q.service_lines.reset();
    q.active_service_lines_only = true;
    EXPECT_EQ(starlink_page_request(q, 0).body,
              R"({"serviceLineNumbers":[],"previousBillingCycles":2,"activeServiceLinesOnly":true})")
        << "all lines: [], never null";
    q.query_start_date = "2024-11-01";
    q.active_service_lines_only = false;
    EXPECT_EQ(starlink_page_request(q, 0).body,
              R"({"serviceLineNumbers":[],"queryStartDate":"2024-11-01T00:00:00Z","activeServiceLinesOnly":false})")
        << "a backfill sends queryStartDate instead of previousBillingCycles";
}

TEST(UsageFetch, TheRunLogsRecordOfALongQueryIsCut) {
    StarlinkQuery q{"https://api.test/api", 250, 1, std::vector<std::string>{}, {}, false};
    for (int i = 0; i < 200; ++i)
        q.service_lines->push_back("AST-" + std::to_string(100000 + i));
    const std::string record = starlink_request_record(q, 1000);
    EXPECT_LE(record.size(), 1000u);
    const nlohmann::json j = nlohmann::json::parse(record);
    EXPECT_EQ(j["serviceLineNumbers"].size() + j["serviceLineNumbersOmitted"].get<std::size_t>(), 200u);
    EXPECT_EQ(j["serviceLineNumbers"][0], "AST-100000");
    EXPECT_GT(j["serviceLineNumbers"].size(), 50u) << "as many as fit";
    q.service_lines->resize(3);
    EXPECT_EQ(starlink_request_record(q, 1000), starlink_request_body(q)) << "a short one is the body itself";
}

TEST(UsageFetch, FetchesPageZeroThenTheRestConcurrently) {
    ScriptedTransport t = fleet(2000, 50);
    FakeEnvironment env;
    FetchStats stats;
    RunnerConfig config;
    config.max_parallel = 4;
    RequestRunner runner(t, env, config, stats);
    RateLimiter limiter(250);
    std::vector<long> pages;
    core::PayloadParser parser(core::SourceKind::starlink, {});
    fetch_starlink_usage(runner, nullptr, limiter, StarlinkQuery{"http://api.test", 50, 2, {}, {}, false},
                         [&](std::string_view body, const std::string &) {
                             core::PageInfo info = parser.add(body);
                             pages.push_back(static_cast<long>(*info.page_index));
                             return info;
                         });
    ASSERT_EQ(pages.size(), 40u);
    for (long p = 0; p < 40; ++p)
        EXPECT_EQ(pages[static_cast<std::size_t>(p)], p);
    EXPECT_EQ(t.batches.front(), 1u) << "page 0 alone";
    EXPECT_EQ(t.batches[1], 32u) << "then a window of pages handed to the transport at once";
    EXPECT_EQ(t.parallel[1], 4);
}

TEST(UsageFetch, KeepsGoingWhenTheFleetGrew) {
    ScriptedTransport t = fleet(100, 50, 60); // page 0 says 100 lines, later pages 160
    FakeEnvironment env;
    FetchStats stats;
    RequestRunner runner(t, env, RunnerConfig{}, stats);
    RateLimiter limiter(250);
    int delivered = 0;
    core::PayloadParser parser(core::SourceKind::starlink, {});
    fetch_starlink_usage(runner, nullptr, limiter, StarlinkQuery{"http://api.test", 50, 1, {}, {}, false},
                         [&](std::string_view body, const std::string &) {
                             ++delivered;
                             return parser.add(body);
                         });
    EXPECT_EQ(delivered, 4);
}

TEST(UsageFetch, SinglePageWhenTheFirstIsTheLast) {
    ScriptedTransport t = fleet(10, 50);
    FakeEnvironment env;
    FetchStats stats;
    RequestRunner runner(t, env, RunnerConfig{}, stats);
    RateLimiter limiter(250);
    int delivered = 0;
    fetch_starlink_usage(runner, nullptr, limiter, StarlinkQuery{"http://api.test", 50, 1, {}, {}, false},
                         [&](std::string_view, const std::string &where) {
                             ++delivered;
                             EXPECT_EQ(where, "POST http://api.test/public/v2/data-usage/query?page=0&limit=50");
                             return core::PageInfo{0, 50, true, 10};
                         });
    EXPECT_EQ(delivered, 1);
}

TEST(UsageFetch, PagesAreParsedInPageOrderWhateverOrderTheyArrive) {
    // Answers every batch last request first, as a network might.
    struct ReversingTransport : HttpTransport {
        ScriptedTransport inner = fleet(500, 50);
        void perform(const std::vector<HttpRequest> &requests, int parallel, const ResponseHandler &on_response) override {
            std::vector<std::pair<std::size_t, HttpResponse>> got;
            inner.perform(requests, parallel, [&](std::size_t i, HttpResponse &r) { got.emplace_back(i, r); });
            for (auto it = got.rbegin(); it != got.rend(); ++it)
                on_response(it->first, it->second);
        }
    } t;
    FakeEnvironment env;
    FetchStats stats;
    RequestRunner runner(t, env, RunnerConfig{}, stats);
    RateLimiter limiter(250);
    std::vector<long> pages;
    core::PayloadParser parser(core::SourceKind::starlink, {});
    fetch_starlink_usage(runner, nullptr, limiter, StarlinkQuery{"http://api.test", 50, 1, {}, {}, false},
                         [&](std::string_view body, const std::string &) {
                             core::PageInfo info = parser.add(body);
                             pages.push_back(static_cast<long>(*info.page_index));
                             return info;
                         });
    EXPECT_EQ(pages, (std::vector<long>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(UsageFetch, RequestsTheGuessedPagesBeforePageZeroAnswers) {
    ScriptedTransport t = fleet(2000, 50);
    FetchStats stats;
    RunnerConfig config;
    config.max_parallel = 4;
    StarlinkQuery q{"http://api.test", 50, 2, {}, {}, false};
    q.speculative_pages = 4;
    const std::vector<long> pages = fetch_pages(t, q, config, stats);
    ASSERT_EQ(pages.size(), 40u);
    for (long p = 0; p < 40; ++p)
        EXPECT_EQ(pages[static_cast<std::size_t>(p)], p);
    EXPECT_EQ(t.batches.front(), 4u) << "pages 0..3 at once";
    EXPECT_EQ(t.sent.size(), 40u) << "no page twice";
}

TEST(UsageFetch, DropsGuessedPagesPastTheLastWhateverTheyAnswer) {
    // Two pages; pages 2 and 3, asked for on a guess, fail without retries.
    ScriptedTransport inner = fleet(60, 50);
    ScriptedTransport t([&](const HttpRequest &r) {
        return page_of(r) >= 2 ? respond(500, "{\"errors\": [\"no such page\"]}") : inner.perform_one(r);
    });
    FetchStats stats;
    RunnerConfig config;
    config.retry.max_retries = 0;
    StarlinkQuery q{"http://api.test", 50, 1, {}, {}, false};
    q.speculative_pages = 4;
    EXPECT_EQ(fetch_pages(t, q, config, stats), (std::vector<long>{0, 1}));
    EXPECT_EQ(t.sent.size(), 4u);
    EXPECT_EQ(stats.retries, 0u);
}

namespace {

// Answers each batch last request first, pages from 2 on with `status`.
struct FailingPastPageOne : HttpTransport {
    explicit FailingPastPageOne(int lines, long status) : inner(fleet(lines, 50)), status(status) {}
    ScriptedTransport inner;
    long status;
    void perform(const std::vector<HttpRequest> &requests, int, const ResponseHandler &on_response) override {
        for (std::size_t i = requests.size(); i-- > 0;) {
            HttpResponse r = page_of(requests[i]) >= 2 ? respond(status, "{}") : inner.perform_one(requests[i]);
            on_response(i, r);
        }
    }
};

} // namespace

TEST(UsageFetch, AGuessedPageFailingBeforeTheLastPageAnswersIsDropped) {
    FailingPastPageOne t(60, 404); // two pages; pages 2 and 3 fail first
    FetchStats stats;
    StarlinkQuery q{"http://api.test", 50, 1, {}, {}, false};
    q.speculative_pages = 4;
    EXPECT_EQ(fetch_pages(t, q, RunnerConfig{}, stats), (std::vector<long>{0, 1}));
}

TEST(UsageFetch, AGuessedPageThatTurnsOutNeededFailsTheFetch) {
    FailingPastPageOne t(500, 404); // ten pages: page 2's failure counts once pages 0 and 1 are in
    FetchStats stats;
    StarlinkQuery q{"http://api.test", 50, 1, {}, {}, false};
    q.speculative_pages = 4;
    try {
        fetch_pages(t, q, RunnerConfig{}, stats);
        FAIL() << "page 2 exists and failed";
    } catch (const HttpError &e) {
        EXPECT_NE(std::string(e.what()).find("page=2&"), std::string::npos) << e.what();
    }
}
