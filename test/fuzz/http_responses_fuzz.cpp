// libFuzzer target: the HTTP layer's handling of whatever servers answer. The input is a
// script of responses, separated by a 0x1E byte, each "<status> [<retry-after>] [<location>]\n<body>",
// that a fake transport plays back, in order, to one whole authenticated fetch: the OAuth
// token request, page 0, the pages it plans, retries and redirects. A request after the
// script ends fails to connect. Only the errors the layer documents may come out (HttpError,
// PayloadError); an HttpError's message must never show the client secret and must be
// printable UTF-8 (http::printable_text leaves it as it is). The texts quoted from error
// bodies are fuzzed directly too.
#include "../unit/fake_http.hpp"

#include "core/payload_error.hpp"
#include "core/payload_parser.hpp"
#include "http/api_error_text.hpp"
#include "http/rate_limiter.hpp"
#include "http/retry_policy.hpp"
#include "http/token_cache.hpp"
#include "http/usage_fetch.hpp"

#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace {

using namespace usage_archive;

constexpr const char *kSecret = "fuzz-client-secret-0c1d";

std::vector<http::HttpResponse> script_of(std::string_view input) {
    std::vector<http::HttpResponse> script;
    while (!input.empty() && script.size() < 64) {
        const std::size_t end = std::min(input.find('\x1e'), input.size());
        const std::string_view chunk = input.substr(0, end);
        input.remove_prefix(std::min(end + 1, input.size()));
        const std::size_t newline = std::min(chunk.find('\n'), chunk.size());
        std::istringstream head{std::string(chunk.substr(0, newline))};
        http::HttpResponse r;
        std::string retry_after, location;
        if (!(head >> r.status))
            r.status = 200;
        if (head >> retry_after && retry_after != "-")
            r.headers["retry-after"] = retry_after;
        if (head >> location)
            r.headers["location"] = location;
        r.body = std::string(chunk.substr(std::min(newline + 1, chunk.size())));
        script.push_back(std::move(r));
    }
    return script;
}

void never_shows_the_secret(const std::string &message) {
    if (message.find(kSecret) != std::string::npos) {
        std::fprintf(stderr, "an error message shows the client secret: %s\n", message.c_str());
        std::abort();
    }
    // What a server sent reaches the message only as valid, printable UTF-8.
    if (http::printable_text(message, message.size()) != message) {
        std::fprintf(stderr, "an error message is not printable UTF-8: %s\n", message.c_str());
        std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char *>(data), size);
    const std::string text(input);
    for (const std::string &quoted : {http::api_error_text(text), http::oauth_error_text(text)})
        if (http::printable_text(quoted, quoted.size()) != quoted)
            std::abort(); // quoted text is printable UTF-8 already
    (void)http::parse_retry_after_ms(text, 1'700'000'000'000);
    try {
        (void)http::parse_token_response(text, 0);
    } catch (const http::HttpError &e) {
        never_shows_the_secret(e.what());
    }

    std::vector<http::HttpResponse> script = script_of(input);
    std::size_t next = 0;
    test::ScriptedTransport transport([&](const http::HttpRequest &) {
        if (next < script.size())
            return script[next++];
        http::HttpResponse refused;
        refused.failure = http::TransportFailure::connect;
        refused.failure_detail = "the script has ended";
        return refused;
    });
    test::FakeEnvironment env;
    http::FetchStats stats;
    http::RequestRunner runner(transport, env, http::RunnerConfig{}, stats);
    http::TokenCache cache;
    http::OAuthAuthorizer auth(cache, {"http://127.0.0.1/token", "fuzz-client", kSecret}, runner, env);
    http::RateLimiter limiter(250);
    core::PayloadParser parser(core::SourceKind::starlink, {});
    try {
        http::fetch_starlink_usage(runner, &auth, limiter, http::StarlinkQuery{"http://127.0.0.1/api", 50, 1, {}, {}, false},
                                   [&](std::string_view body, const std::string &) { return parser.add(body); });
        (void)parser.finish();
    } catch (const http::HttpError &e) {
        never_shows_the_secret(e.what());
    } catch (const core::PayloadError &) {
        // Quotes the page as the parser saw it; the extension scrubs it with the runner's
        // scrubber before anyone sees it (src/pg/usage_fetch_run.cpp).
    }
    return 0;
}
