// OAuth2 client-credentials tokens, kept per backend until shortly before they expire so a
// run (and the runs after it) reuse one token instead of asking for one per request.
#pragma once

#include "request_runner.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <utility>

namespace usage_archive::http {

struct ClientCredentials {
    std::string token_url;
    std::string client_id;
    std::string client_secret;
};

class TokenCache {
  public:
    struct Token {
        std::string authorization; // "Bearer abc..."
        std::int64_t expires_at_ms = 0;
    };

    // A cached token that is still good at now_ms, if any.
    const Token *find(const ClientCredentials &credentials, std::int64_t now_ms) const;
    void store(const ClientCredentials &credentials, Token token);
    void forget(const ClientCredentials &credentials);

  private:
    // Keyed by all three credentials: a token is reused only for a request that could have
    // obtained it itself. Two sources that share a token URL and client id but not the secret
    // (one of them set up by someone who does not know the real secret) never share a token.
    using Key = std::tuple<std::string, std::string, std::string>; // token_url, client_id, client_secret
    static Key key_of(const ClientCredentials &c) { return Key{c.token_url, c.client_id, c.client_secret}; }
    std::map<Key, Token> tokens_;
};

// Parses a token endpoint answer into a token valid until a margin before expires_in ends
// (the smaller of 60 s and a tenth of its lifetime). Throws HttpError when it has no token.
TokenCache::Token parse_token_response(const std::string &body, std::int64_t now_ms);

// The Authorizer of API requests: a cached token, or a new one from the token endpoint
// (form-encoded client_credentials grant, through the runner so 429/5xx are retried).
class OAuthAuthorizer : public Authorizer {
  public:
    OAuthAuthorizer(TokenCache &cache, ClientCredentials credentials, RequestRunner &runner, RunEnvironment &env)
        : cache_(cache), credentials_(std::move(credentials)), runner_(runner), env_(env) {}
    std::string authorization(bool refresh) override;

  private:
    TokenCache &cache_;
    ClientCredentials credentials_;
    RequestRunner &runner_;
    RunEnvironment &env_;
};

} // namespace usage_archive::http
