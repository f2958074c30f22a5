#include "token_cache.hpp"

#include "form_encoding.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

namespace usage_archive::http {

const TokenCache::Token *TokenCache::find(const ClientCredentials &c, std::int64_t now_ms) const {
    auto it = tokens_.find(key_of(c));
    if (it == tokens_.end() || it->second.expires_at_ms <= now_ms)
        return nullptr;
    return &it->second;
}

void TokenCache::store(const ClientCredentials &c, Token token) { tokens_[key_of(c)] = std::move(token); }

void TokenCache::forget(const ClientCredentials &c) { tokens_.erase(key_of(c)); }

TokenCache::Token parse_token_response(const std::string &body, std::int64_t now_ms) {
    const nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("access_token") || !doc["access_token"].is_string() ||
        doc["access_token"].get<std::string>().empty())
        // Never quote the body: it may hold a token in an unexpected field.
        throw HttpError(HttpError::Kind::bad_token_response, "the token endpoint answered without an access_token");
    std::string type = "Bearer";
    if (doc.contains("token_type") && doc["token_type"].is_string() && !doc["token_type"].get<std::string>().empty())
        type = doc["token_type"].get<std::string>();
    if (type.size() == 6 && std::equal(type.begin(), type.end(), "bearer",
                                       [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; }))
        type = "Bearer"; // some servers send "bearer"; the header wants the scheme as registered
    std::int64_t lifetime_ms = 900 * 1000; // the vendor's documented 15 minutes when unstated
    if (doc.contains("expires_in") && doc["expires_in"].is_number())
        lifetime_ms = static_cast<std::int64_t>(doc["expires_in"].get<double>() * 1000);
    const std::int64_t margin = std::min<std::int64_t>(60000, lifetime_ms / 10);
    return TokenCache::Token{type + " " + doc["access_token"].get<std::string>(), now_ms + lifetime_ms - margin};
}

std::string OAuthAuthorizer::authorization(bool refresh) {
    if (refresh)
        cache_.forget(credentials_);
    else if (const TokenCache::Token *t = cache_.find(credentials_, env_.now_ms()))
        return t->authorization;
    HttpRequest request;
    request.method = "POST";
    request.url = credentials_.token_url;
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
    request.body = "grant_type=client_credentials&client_id=" + form_encode(credentials_.client_id) +
                   "&client_secret=" + form_encode(credentials_.client_secret);
    request.error_quoting = ErrorQuoting::oauth_fields;
    request.secrets = {credentials_.client_secret};
    std::vector<HttpResponse> got;
    try {
        got = runner_.run({request}, nullptr, nullptr);
    } catch (const HttpError &e) {
        throw HttpError(e.kind(), std::string("token request failed: ") + e.what(), e.status());
    }
    TokenCache::Token token = parse_token_response(got.front().body, env_.now_ms());
    cache_.store(credentials_, token);
    return token.authorization;
}

} // namespace usage_archive::http
