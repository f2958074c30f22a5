#include "token_cache.hpp"

#include "api_error_text.hpp"
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

namespace {

// The longest lifetime a token is kept for, whatever expires_in says.
constexpr double kMaxLifetimeSeconds = 366.0 * 24 * 3600;

// The token goes into a header line as it is: libcurl sends a CR or LF in it verbatim, so a
// token endpoint could add headers (or a whole request) to every API request. RFC 6750's
// b64token and RFC 7230's token (the scheme) are visible ASCII without spaces.
bool visible_ascii(const std::string &s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

} // namespace

TokenCache::Token parse_token_response(const std::string &body, std::int64_t now_ms) {
    const nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("access_token") || !doc["access_token"].is_string() ||
        doc["access_token"].get<std::string>().empty())
        // Never quote the body: it may hold a token in an unexpected field.
        throw HttpError(HttpError::Kind::bad_token_response, "the answer is not a JSON object with an access_token");
    if (!visible_ascii(doc["access_token"].get<std::string>()))
        throw HttpError(HttpError::Kind::bad_token_response,
                        "the access_token holds spaces, line breaks or other characters a header cannot carry");
    std::string type = "Bearer";
    if (doc.contains("token_type") && doc["token_type"].is_string() && !doc["token_type"].get<std::string>().empty())
        type = doc["token_type"].get<std::string>();
    if (!visible_ascii(type) || type.size() > 64)
        throw HttpError(HttpError::Kind::bad_token_response,
                        "the token_type is not an HTTP authentication scheme (visible ASCII without spaces)");
    if (type.size() == 6 && std::equal(type.begin(), type.end(), "bearer",
                                       [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; }))
        type = "Bearer"; // some servers send "bearer"; the header wants the scheme as registered
    std::int64_t lifetime_ms = 900 * 1000; // the vendor's documented 15 minutes when unstated
    if (doc.contains("expires_in") && doc["expires_in"].is_number()) {
        // Clamped before the conversion: a double out of int64's range (1e300) is undefined
        // behaviour to convert, and a year is longer than any real token lives.
        const double seconds = std::clamp(doc["expires_in"].get<double>(), 0.0, kMaxLifetimeSeconds);
        lifetime_ms = static_cast<std::int64_t>(seconds * 1000);
    }
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
    const HttpResponse &answer = got.front();
    TokenCache::Token token;
    try {
        token = parse_token_response(answer.body, env_.now_ms());
    } catch (const HttpError &e) {
        // Which endpoint, and what it sent instead (a login page, a proxy's error page):
        // its Content-Type, never its body.
        const std::string *type = answer.header("content-type");
        const std::string message = "token request failed: HTTP " + std::to_string(answer.status) + " from " +
                                    describe_request(request) + ": " + e.what() + " (" +
                                    (type ? "Content-Type: " + *type : std::string("no Content-Type")) + ")";
        throw HttpError(e.kind(), printable_text(runner_.scrubber().scrub(message), 2000), answer.status);
    }
    cache_.store(credentials_, token);
    return token.authorization;
}

} // namespace usage_archive::http
