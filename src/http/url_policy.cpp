#include "url_policy.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>

namespace usage_archive::http {
namespace {

struct UrlHandleDeleter {
    void operator()(CURLU *h) const { curl_url_cleanup(h); }
};
using UrlHandle = std::unique_ptr<CURLU, UrlHandleDeleter>;

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::optional<std::string> get_part(CURLU *h, CURLUPart part, unsigned flags = 0) {
    char *value = nullptr;
    if (curl_url_get(h, part, &value, flags) != CURLUE_OK || !value)
        return std::nullopt;
    std::string out(value);
    curl_free(value);
    return out;
}

} // namespace

std::optional<UrlParts> parse_http_url(const std::string &url, std::string *why) {
    // libcurl refuses these too, with a vaguer message; a URL is one line of visible text.
    if (std::any_of(url.begin(), url.end(), [](unsigned char c) { return c <= ' ' || c == 0x7f; })) {
        *why = "a URL must not contain spaces, line breaks or other control characters";
        return std::nullopt;
    }
    UrlHandle h(curl_url());
    if (!h || curl_url_set(h.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
        *why = "not a valid absolute URL";
        return std::nullopt;
    }
    auto scheme = get_part(h.get(), CURLUPART_SCHEME);
    if (!scheme) {
        *why = "not a valid absolute URL";
        return std::nullopt;
    }
    const std::string s = lower(*scheme);
    if (s != "http" && s != "https") {
        *why = "only http and https URLs are fetched, not " + s;
        return std::nullopt;
    }
    auto host = get_part(h.get(), CURLUPART_HOST);
    auto port = get_part(h.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
    if (!host || !port) {
        *why = "not a valid absolute URL";
        return std::nullopt;
    }
    UrlParts parts{s, lower(*host), *port};
    return parts;
}

std::string origin_of(const UrlParts &parts) { return parts.scheme + "://" + parts.host + ":" + parts.port; }

std::optional<std::string> resolve_redirect(const std::string &from, const std::string &location) {
    UrlHandle h(curl_url());
    if (!h || curl_url_set(h.get(), CURLUPART_URL, from.c_str(), 0) != CURLUE_OK ||
        curl_url_set(h.get(), CURLUPART_URL, location.c_str(), 0) != CURLUE_OK)
        return std::nullopt;
    return get_part(h.get(), CURLUPART_URL);
}

std::string redact_url(const std::string &url) {
    UrlHandle h(curl_url());
    if (!h || curl_url_set(h.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK)
        return "(unparsable URL)";
    curl_url_set(h.get(), CURLUPART_USER, nullptr, 0);
    curl_url_set(h.get(), CURLUPART_PASSWORD, nullptr, 0);
    auto out = get_part(h.get(), CURLUPART_URL);
    return out ? *out : "(unparsable URL)";
}

HostPolicy::HostPolicy(std::vector<std::string> hosts) : hosts_(std::move(hosts)) {
    for (std::string &h : hosts_)
        h = lower(h);
}

bool HostPolicy::allows(const std::string &host) const {
    return std::find(hosts_.begin(), hosts_.end(), lower(host)) != hosts_.end();
}

std::optional<std::string> HostPolicy::check(const std::string &url) const {
    std::string why;
    auto parts = parse_http_url(url, &why);
    if (!parts)
        return why;
    if (!allows(parts->host))
        return "host " + parts->host + " is not allowed (usage_archive.allowed_hosts, or the hosts of registered sources)";
    return std::nullopt;
}

std::vector<std::string> split_host_list(const std::string &setting) {
    std::vector<std::string> hosts;
    std::string current;
    for (char c : setting + ",") {
        if (c == ',' || std::isspace(static_cast<unsigned char>(c))) {
            if (!current.empty())
                hosts.push_back(lower(current));
            current.clear();
        } else {
            current += c;
        }
    }
    return hosts;
}

std::optional<std::string> check_redirect(const std::string &from, const std::string &to) {
    std::string why;
    auto a = parse_http_url(from, &why);
    auto b = parse_http_url(to, &why);
    if (!a || !b)
        return "redirect to an unusable URL refused: " + why;
    if (a->host != b->host)
        return "redirect to another host (" + b->host + ") refused";
    if (a->scheme == "https" && b->scheme == "http")
        return "redirect from https to http refused";
    // Another port is another server; only the usual upgrade of http:80 to https:443 is fine.
    const bool upgrade = a->scheme == "http" && a->port == "80" && b->scheme == "https" && b->port == "443";
    if (a->port != b->port && !upgrade)
        return "redirect to another port (" + b->port + ") refused";
    return std::nullopt;
}

} // namespace usage_archive::http
