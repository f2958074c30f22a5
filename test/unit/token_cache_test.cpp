#include "fake_http.hpp"

#include "http/request_runner.hpp"
#include "http/token_cache.hpp"

#include <gtest/gtest.h>

using namespace usage_archive;
using namespace usage_archive::http;
using test::FakeEnvironment;
using test::respond;
using test::ScriptedTransport;

namespace {

std::string error_of(const std::function<void()> &f) {
    try {
        f();
    } catch (const HttpError &e) {
        return e.what();
    }
    return "no error";
}

} // namespace

TEST(TokenCache, ParsesAndExpiresBeforeTheServerDoes) {
    TokenCache::Token tok = parse_token_response(R"({"access_token": "abc", "expires_in": 900, "token_type": "bearer"})", 1000);
    EXPECT_EQ(tok.authorization, "Bearer abc");
    EXPECT_EQ(tok.expires_at_ms, 1000 + 900000 - 60000);
    EXPECT_EQ(parse_token_response(R"({"access_token": "x", "expires_in": 100})", 0).expires_at_ms, 90000);
    EXPECT_THROW(parse_token_response(R"({"token": "abc"})", 0), HttpError);
    EXPECT_THROW(parse_token_response("not json", 0), HttpError);
}

TEST(TokenCache, AuthorizerReusesAndRefreshesTokens) {
    int issued = 0;
    std::string last_body;
    ScriptedTransport t([&](const HttpRequest &r) {
        last_body = r.body;
        return respond(200, R"({"access_token": "tok)" + std::to_string(++issued) + R"(", "expires_in": 900})");
    });
    FakeEnvironment env;
    FetchStats stats;
    RequestRunner runner(t, env, RunnerConfig{}, stats);
    TokenCache cache;
    OAuthAuthorizer auth(cache, {"http://auth.test/token", "my client", "s&cret="}, runner, env);
    EXPECT_EQ(auth.authorization(false), "Bearer tok1");
    EXPECT_EQ(last_body, "grant_type=client_credentials&client_id=my+client&client_secret=s%26cret%3D");
    EXPECT_EQ(auth.authorization(false), "Bearer tok1") << "cached";
    env.now = 900000 - 60000;
    EXPECT_EQ(auth.authorization(false), "Bearer tok2") << "expired by the margin";
    EXPECT_EQ(auth.authorization(true), "Bearer tok3") << "refresh on demand";
    EXPECT_EQ(t.sent.size(), 3u);
}

TEST(TokenCache, TokenErrorsNeverQuoteTheSecret) {
    ScriptedTransport t([](const HttpRequest &) { return respond(401, R"({"error": "invalid_client"})"); });
    FakeEnvironment env;
    FetchStats stats;
    RequestRunner runner(t, env, RunnerConfig{}, stats);
    TokenCache cache;
    OAuthAuthorizer auth(cache, {"http://auth.test/token", "id", "TOPSECRET"}, runner, env);
    const std::string message = error_of([&] { auth.authorization(false); });
    EXPECT_EQ(message, "token request failed: HTTP 401 from POST http://auth.test/token: invalid_client");
    EXPECT_EQ(message.find("TOPSECRET"), std::string::npos);
}

TEST(TokenCache, ATokenIsReusedOnlyWithTheSameSecret) {
    // Two sources with the same token URL and client id: the second was set up by someone
    // who does not know the real secret. It must not be handed the first one's token.
    int issued = 0;
    ScriptedTransport t([&](const HttpRequest &r) {
        return r.body.find("client_secret=real") != std::string::npos
                   ? respond(200, R"({"access_token": "tok)" + std::to_string(++issued) + R"(", "expires_in": 900})")
                   : respond(401, R"({"error": "invalid_client"})");
    });
    FakeEnvironment env;
    FetchStats stats;
    RequestRunner runner(t, env, RunnerConfig{}, stats);
    TokenCache cache;
    OAuthAuthorizer real(cache, {"http://auth.test/token", "id", "real"}, runner, env);
    OAuthAuthorizer guess(cache, {"http://auth.test/token", "id", "guess"}, runner, env);
    EXPECT_EQ(real.authorization(false), "Bearer tok1");
    EXPECT_EQ(error_of([&] { guess.authorization(false); }),
              "token request failed: HTTP 401 from POST http://auth.test/token: invalid_client");
    EXPECT_EQ(real.authorization(false), "Bearer tok1") << "still cached for the real credentials";
}

// The error of a token request for secret "TOP/SECRET+1" that `endpoint` answers.
std::string token_error(const ScriptedTransport::Handler &endpoint) {
    ScriptedTransport t(endpoint);
    FakeEnvironment env;
    FetchStats stats;
    RequestRunner runner(t, env, RunnerConfig{}, stats);
    TokenCache cache;
    OAuthAuthorizer auth(cache, {"http://auth.test/token", "id", "TOP/SECRET+1"}, runner, env);
    return error_of([&] { auth.authorization(false); });
}

TEST(TokenCache, ATokenEndpointThatEchoesTheFormIsNeverQuoted) {
    EXPECT_EQ(token_error([](const HttpRequest &r) { return respond(400, "bad request: " + r.body); }),
              "token request failed: HTTP 400 from POST http://auth.test/token: (no OAuth error in the response)");
}

TEST(TokenCache, OAuthErrorFieldsAreScrubbedOfTheSecretToo) {
    // Even the fields that are quoted cannot carry the secret out.
    EXPECT_EQ(token_error([](const HttpRequest &) {
                  return respond(400, R"({"error": "invalid_request", "error_description": "secret TOP/SECRET+1 is wrong"})");
              }),
              "token request failed: HTTP 400 from POST http://auth.test/token: invalid_request: secret [redacted] is wrong");
}

// A token endpoint is a server like any other: what it answers goes into every API request's
// Authorization header, so it must be something a header can carry.
TEST(TokenCache, AHostileTokenAnswerIsRefused) {
    EXPECT_THROW(parse_token_response(R"({"access_token": "abc\r\nX-Injected: 1"})", 0), HttpError);
    EXPECT_THROW(parse_token_response(R"({"access_token": "a b"})", 0), HttpError);
    EXPECT_THROW(parse_token_response(R"({"access_token": "abc", "token_type": "Bearer\nX-Injected: 1"})", 0), HttpError);
    EXPECT_THROW(parse_token_response(R"({"access_token": "abc", "token_type": "Be arer"})", 0), HttpError);
    EXPECT_EQ(parse_token_response(R"({"access_token": "a-b.c_d~e+f/g=="})", 0).authorization, "Bearer a-b.c_d~e+f/g==");
    // expires_in out of any sane range: clamped, not undefined behaviour.
    EXPECT_EQ(parse_token_response(R"({"access_token": "x", "expires_in": 1e300})", 0).expires_at_ms,
              366LL * 24 * 3600 * 1000 - 60000);
    EXPECT_EQ(parse_token_response(R"({"access_token": "x", "expires_in": -1e300})", 5).expires_at_ms, 5);
}

TEST(TokenCache, AnHtmlAnswerNamesTheEndpointAndWhatItSent) {
    ScriptedTransport t([](const HttpRequest &) {
        return respond(200, "<!DOCTYPE html><html><body>client_secret=s3cret</body></html>",
                       {{"content-type", "text/html; charset=utf-8"}});
    });
    FakeEnvironment env;
    FetchStats stats;
    RequestRunner runner(t, env, RunnerConfig{}, stats);
    TokenCache cache;
    OAuthAuthorizer auth(cache, {"http://auth.test/token", "id", "s3cret"}, runner, env);
    HttpError::Kind kind{};
    std::string message;
    try {
        auth.authorization(false);
    } catch (const HttpError &e) {
        kind = e.kind();
        message = e.what();
    }
    EXPECT_EQ(message, "token request failed: HTTP 200 from POST http://auth.test/token: the answer is not a JSON "
                       "object with an access_token (Content-Type: text/html; charset=utf-8)");
    EXPECT_EQ(kind, HttpError::Kind::bad_token_response);
}
