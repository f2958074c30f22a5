// Which URLs a fetch may touch: http and https only, hosts on the allow-list, redirects only
// to the same host (and never from https down to http). URLs in messages lose any
// credentials they carry.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace usage_archive::http {

struct UrlParts {
    std::string scheme; // lower case
    std::string host;   // lower case
    std::string port;   // as written, or the scheme's default
};

// Parses an absolute URL with libcurl's parser (the one that will fetch it); std::nullopt
// (and *why) when it is not a usable http(s) URL: another scheme, no host, spaces or
// control characters (a CR/LF could smuggle a header), anything libcurl refuses.
std::optional<UrlParts> parse_http_url(const std::string &url, std::string *why);

// "scheme://host:port" of a URL parse_http_url accepts: what decides where a request goes.
std::string origin_of(const UrlParts &parts);

// Resolves a Location header against the URL that answered with it.
std::optional<std::string> resolve_redirect(const std::string &from, const std::string &location);

// The URL with any user:password@ removed, for messages.
std::string redact_url(const std::string &url);

class HostPolicy {
  public:
    // Host names, compared without regard to case. An empty list allows nothing.
    explicit HostPolicy(std::vector<std::string> hosts = {});
    bool allows(const std::string &host) const;
    // Refusal reason for a request URL, or std::nullopt when it may be fetched.
    std::optional<std::string> check(const std::string &url) const;
    const std::vector<std::string> &hosts() const { return hosts_; }

  private:
    std::vector<std::string> hosts_;
};

// Splits usage_archive.allowed_hosts ("a.example, b.example") into host names.
std::vector<std::string> split_host_list(const std::string &setting);

// A redirect from `from` to `to` is followed only to the same host and port (or from
// http:80 to https:443) and without a downgrade from https to http; otherwise the reason.
std::optional<std::string> check_redirect(const std::string &from, const std::string &to);

} // namespace usage_archive::http
