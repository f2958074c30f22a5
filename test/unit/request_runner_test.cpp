#include "fake_http.hpp"

#include "http/rate_limiter.hpp"
#include "http/request_runner.hpp"
#include "http/token_cache.hpp"

#include <gtest/gtest.h>

using namespace usage_archive;
using namespace usage_archive::http;
using test::FakeEnvironment;
using test::respond;
using test::ScriptedTransport;

namespace {

struct CountingAuthorizer : Authorizer {
    int issued = 0;
    std::string authorization(bool refresh) override {
        if (refresh || issued == 0)
            ++issued;
        return "Bearer t" + std::to_string(issued);
    }
};

HttpRequest get(const std::string &url) { return HttpRequest{"GET", url, {}, {}}; }

std::string error_of(const std::function<void()> &f, HttpError::Kind *kind = nullptr) {
    try {
        f();
    } catch (const HttpError &e) {
        if (kind)
            *kind = e.kind();
        return e.what();
    }
    return "no error";
}

} // namespace

TEST(RequestRunner, RetriesServerErrorsWithBackoffThenSucceeds) {
    int calls = 0;
    ScriptedTransport t([&](const HttpRequest &) { return ++calls <= 2 ? respond(503) : respond(200, "ok"); });
    FakeEnvironment env;
    FetchStats stats;
    RequestRunner runner(t, env, RunnerConfig{}, stats);
    auto got = runner.run({get("http://api.test/x")}, nullptr, nullptr);
    EXPECT_EQ(got.front().body, "ok");
    EXPECT_EQ(stats.requests, 3u);
    EXPECT_EQ(stats.retries, 2u);
    EXPECT_EQ(env.slept, (std::vector<std::int64_t>{375, 750})) << "equal jitter at 0.5: 500/2+125, 1000/2+250";
}

TEST(RequestRunner, HonoursRetryAfter) {
    int calls = 0;
    ScriptedTransport t([&](const HttpRequest &) {
        return ++calls == 1 ? respond(429, "{}", {{"retry-after", "7"}}) : respond(200);
    });
    FakeEnvironment env;
    FetchStats stats;
    RequestRunner runner(t, env, RunnerConfig{}, stats);
    runner.run({get("http://api.test/x")}, nullptr, nullptr);
    EXPECT_EQ(env.slept, (std::vector<std::int64_t>{7000}));
}

TEST(RequestRunner, GivesUpAfterMaxRetriesWithTheApiMessage) {
    ScriptedTransport t([](const HttpRequest &) {
        return respond(500, R"({"isValid": false, "errors": [{"errorMessage": "Internal Server Error"}]})");
    });
    FakeEnvironment env;
    FetchStats stats;
    RunnerConfig config;
    config.retry.max_retries = 2;
    RequestRunner runner(t, env, config, stats);
    const std::string message = error_of([&] { runner.run({get("http://user:pw@api.test/x?page=1")}, nullptr, nullptr); });
    EXPECT_EQ(message, "HTTP 500 from GET http://api.test/x?page=1 after 2 retries: Internal Server Error");
    EXPECT_EQ(t.sent.size(), 3u);
}

TEST(RequestRunner, ClientErrorsFailAtOnce) {
    ScriptedTransport t([](const HttpRequest &) {
        return respond(422, R"({"isValid": false, "errors": [{"memberNames": [], "errorMessage": "Failed to query data usage"}]})");
    });
    FakeEnvironment env;
    FetchStats stats;
    RequestRunner runner(t, env, RunnerConfig{}, stats);
    EXPECT_EQ(error_of([&] { runner.run({get("http://api.test/q")}, nullptr, nullptr); }),
              "HTTP 422 from GET http://api.test/q: Failed to query data usage");
    EXPECT_EQ(t.sent.size(), 1u);
    EXPECT_TRUE(env.slept.empty());
}

TEST(RequestRunner, OneNewTokenAndOneRetryOn401) {
    ScriptedTransport t([](const HttpRequest &r) {
        return test::header_of(r, "Authorization") == "Bearer t1" ? respond(401) : respond(200, "ok");
    });
    FakeEnvironment env;
    FetchStats stats;
    CountingAuthorizer auth;
    RequestRunner runner(t, env, RunnerConfig{}, stats);
    auto got = runner.run({get("http://api.test/a"), get("http://api.test/b")}, &auth, nullptr);
    EXPECT_EQ(got[1].body, "ok");
    EXPECT_EQ(auth.issued, 2) << "one refresh for the whole batch";

    ScriptedTransport always401([](const HttpRequest &) { return respond(401, R"({"errors": [{"errorMessage": "Unauthorized"}]})"); });
    RequestRunner runner2(always401, env, RunnerConfig{}, stats);
    EXPECT_EQ(error_of([&] { runner2.run({get("http://api.test/a")}, &auth, nullptr); }),
              "HTTP 401 from GET http://api.test/a: Unauthorized");
    EXPECT_EQ(always401.sent.size(), 2u) << "retried once, not forever";
}

TEST(RequestRunner, TokenRefreshWaitsForTheBatchToEnd) {
    // Pages 2 and 3 of a batch meet an expired token; the new token comes from the same
    // transport, which is busy until the batch's transfers are all done.
    int tokens = 0;
    ScriptedTransport t([&](const HttpRequest &r) {
        if (r.url.find("/token") != std::string::npos)
            return respond(200, R"({"access_token": "t)" + std::to_string(++tokens) + R"(", "expires_in": 900})");
        const bool stale = test::header_of(r, "Authorization") == "Bearer t1";
        return stale && r.url.find("page=1") == std::string::npos ? respond(401) : respond(200, r.url);
    });
    FakeEnvironment env;
    FetchStats stats;
    RequestRunner runner(t, env, RunnerConfig{}, stats);
    TokenCache cache;
    OAuthAuthorizer auth(cache, {"http://api.test/token", "id", "secret"}, runner, env);
    auto got = runner.run({get("http://api.test/q?page=1"), get("http://api.test/q?page=2"), get("http://api.test/q?page=3")},
                          &auth, nullptr);
    EXPECT_EQ(got[2].body, "http://api.test/q?page=3");
    EXPECT_EQ(tokens, 2) << "one refresh for the batch";
    EXPECT_EQ(stats.retries, 2u);
}

TEST(RequestRunner, FollowsSameHostRedirectsAtMostThree) {
    int hops = 0;
    ScriptedTransport t([&](const HttpRequest &r) {
        if (r.url.find("final") != std::string::npos)
            return respond(200, r.method + " " + r.body);
        ++hops;
        return respond(307, "", {{"location", "/hop" + std::to_string(hops) + (hops == 3 ? "final" : "")}});
    });
    FakeEnvironment env;
    FetchStats stats;
    RequestRunner runner(t, env, RunnerConfig{}, stats);
    auto got = runner.run({HttpRequest{"POST", "https://api.test/start", {}, "{\"a\":1}"}}, nullptr, nullptr);
    EXPECT_EQ(got.front().body, "POST {\"a\":1}") << "307 keeps method and body";
    EXPECT_EQ(t.sent.back().url, "https://api.test/hop3final");

    ScriptedTransport loop([](const HttpRequest &) { return respond(302, "", {{"location", "/again"}}); });
    RequestRunner runner2(loop, env, RunnerConfig{}, stats);
    EXPECT_EQ(error_of([&] { runner2.run({get("https://api.test/x")}, nullptr, nullptr); }),
              "too many redirects (more than 3): GET https://api.test/again");
}

TEST(RequestRunner, RefusesRedirectsToOtherHostsOrDowngrades) {
    ScriptedTransport t([](const HttpRequest &) { return respond(302, "", {{"location", "http://evil.test/steal"}}); });
    FakeEnvironment env;
    FetchStats stats;
    RequestRunner runner(t, env, RunnerConfig{}, stats);
    HttpError::Kind kind{};
    EXPECT_EQ(error_of([&] { runner.run({get("http://api.test/x")}, nullptr, nullptr); }, &kind),
              "redirect to another host (evil.test) refused: GET http://api.test/x");
    EXPECT_EQ(kind, HttpError::Kind::refused);
    EXPECT_EQ(t.sent.size(), 1u);

    ScriptedTransport port([](const HttpRequest &) { return respond(302, "", {{"location", "http://api.test:8081/x"}}); });
    RequestRunner runner3(port, env, RunnerConfig{}, stats);
    EXPECT_EQ(error_of([&] { runner3.run({get("http://api.test/x")}, nullptr, nullptr); }),
              "redirect to another port (8081) refused: GET http://api.test/x");
    EXPECT_FALSE(check_redirect("http://api.test/x", "https://api.test/x")) << "the usual upgrade to https";

    ScriptedTransport down([](const HttpRequest &) { return respond(301, "", {{"location", "http://api.test/plain"}}); });
    RequestRunner runner2(down, env, RunnerConfig{}, stats);
    EXPECT_EQ(error_of([&] { runner2.run({get("https://api.test/x")}, nullptr, nullptr); }),
              "redirect from https to http refused: GET https://api.test/x");
}

TEST(RequestRunner, TransportFailuresAreClearAndNotRetried) {
    ScriptedTransport t([](const HttpRequest &) {
        HttpResponse r;
        r.failure = TransportFailure::timeout;
        r.failure_detail = "Timeout was reached";
        return r;
    });
    FakeEnvironment env;
    FetchStats stats;
    RequestRunner runner(t, env, RunnerConfig{}, stats);
    EXPECT_EQ(error_of([&] { runner.run({get("http://api.test/slow")}, nullptr, nullptr); }),
              "timeout: GET http://api.test/slow: Timeout was reached");
    EXPECT_EQ(t.sent.size(), 1u);
}

TEST(RequestRunner, CancelDuringBackoffStopsTheRun) {
    ScriptedTransport t([](const HttpRequest &) { return respond(503); });
    FakeEnvironment env;
    env.abort_after_ms = 100;
    FetchStats stats;
    RequestRunner runner(t, env, RunnerConfig{}, stats);
    HttpError::Kind kind{};
    error_of([&] { runner.run({get("http://api.test/x")}, nullptr, nullptr); }, &kind);
    EXPECT_EQ(kind, HttpError::Kind::aborted);
}

TEST(RequestRunner, KeepsToTheRateLimit) {
    ScriptedTransport t([](const HttpRequest &) { return respond(200); });
    FakeEnvironment env;
    FetchStats stats;
    RateLimiter limiter(2);
    RequestRunner runner(t, env, RunnerConfig{}, stats);
    runner.run({get("http://a.test/1"), get("http://a.test/2"), get("http://a.test/3"), get("http://a.test/4"), get("http://a.test/5")},
               nullptr, &limiter);
    EXPECT_EQ(t.batches, (std::vector<std::size_t>{2, 2, 1}));
    EXPECT_EQ(env.now, 120000) << "two full windows waited";
}

TEST(RequestRunner, AnApiThatEchoesTheAuthorizationHeaderIsScrubbed) {
    ScriptedTransport t([](const HttpRequest &r) {
        return respond(422, R"({"isValid": false, "errors": [{"errorMessage": "bad header )" +
                                test::header_of(r, "Authorization") + R"(; token )" +
                                test::header_of(r, "Authorization").substr(7) + R"("}]})");
    });
    FakeEnvironment env;
    FetchStats stats;
    RequestRunner runner(t, env, RunnerConfig{}, stats);
    CountingAuthorizer auth;
    const std::string message = error_of([&] { runner.run({get("http://api.test/q")}, &auth, nullptr); });
    EXPECT_EQ(message, "HTTP 422 from GET http://api.test/q: bad header [redacted]; token [redacted]");
    EXPECT_EQ(runner.scrubber().scrub("page 3 said t1"), "page 3 said [redacted]") << "known to later messages too";
}

// A failed transfer's body is dropped, but the run log still counts what the server sent.
TEST(RequestRunner, BytesOfAFailedTransferAreCounted) {
    ScriptedTransport t([](const HttpRequest &) {
        HttpResponse r;
        r.failure = TransportFailure::too_large;
        r.failure_detail = "more than 1024 bytes (usage_archive.max_response_bytes)";
        r.discarded_bytes = 1024;
        return r;
    });
    FakeEnvironment env;
    FetchStats stats;
    RequestRunner runner(t, env, RunnerConfig{}, stats);
    EXPECT_EQ(error_of([&] { runner.run({get("http://api.test/big")}, nullptr, nullptr); }),
              "response too large: GET http://api.test/big: more than 1024 bytes (usage_archive.max_response_bytes)");
    EXPECT_EQ(stats.bytes_received, 1024u);
}

// Whatever a server puts into a message -- its error text, a Location -- comes out printable
// and bounded.
TEST(RequestRunner, ErrorsQuoteServersPrintably) {
    ScriptedTransport t([](const HttpRequest &) { return respond(500, "\xFF\xFE\x1b[2Jboom"); });
    FakeEnvironment env;
    FetchStats stats;
    RunnerConfig config;
    config.retry.max_retries = 0;
    RequestRunner runner(t, env, config, stats);
    EXPECT_EQ(error_of([&] { runner.run({get("http://api.test/x")}, nullptr, nullptr); }),
              "HTTP 500 from GET http://api.test/x: ???[2Jboom");

    const std::string far = "/" + std::string(100000, 'a');
    ScriptedTransport loop([&](const HttpRequest &) { return respond(307, "", {{"location", far}}); });
    RequestRunner runner2(loop, env, RunnerConfig{}, stats);
    const std::string message = error_of([&] { runner2.run({get("http://api.test/x")}, nullptr, nullptr); });
    EXPECT_EQ(message.rfind("too many redirects (more than 3): GET http://api.test/aaaa", 0), 0u) << message;
    EXPECT_LE(message.size(), 2003u);
}

// Redirects that leave the source's host -- to another name, a private or link-local address,
// another scheme -- are refused from the Location alone: the transport never sees them.
TEST(RequestRunner, RefusedRedirectsAreNeverRequested) {
    for (const char *location : {"file:///etc/passwd", "http://10.0.0.1/x", "http://169.254.169.254/latest/meta-data/",
                                 "http://192.168.1.1/", "http://[::1]:8080/", "http://localhost/x", "//127.0.0.2/x",
                                 "http://127.0.0.1:8080@evil.test/", "gopher://127.0.0.1/x",
                                 "javascript:alert(1)", "http://a b/"}) {
        ScriptedTransport t([&](const HttpRequest &) { return respond(302, "", {{"location", location}}); });
        FakeEnvironment env;
        FetchStats stats;
        RequestRunner runner(t, env, RunnerConfig{}, stats);
        HttpError::Kind kind{};
        const std::string message = error_of([&] { runner.run({get("http://127.0.0.1/x")}, nullptr, nullptr); }, &kind);
        EXPECT_EQ(kind, HttpError::Kind::refused) << location << ": " << message;
        EXPECT_NE(message.find("refused"), std::string::npos) << message;
        EXPECT_EQ(t.sent.size(), 1u) << location;
    }
}
