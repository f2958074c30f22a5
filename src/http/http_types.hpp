// Requests and responses as the HTTP layer passes them around, and its one error type.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace usage_archive::http {

// How much of an error response's body a message may quote.
enum class ErrorQuoting {
    api_messages, // the API envelope's errorMessage texts (or the start of a non-JSON body)
    oauth_fields, // a token endpoint: only the OAuth2 "error" and "error_description" fields
};

struct HttpRequest {
    std::string method; // "GET" or "POST"
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    ErrorQuoting error_quoting = ErrorQuoting::api_messages;
    // Values the request carries that no message may ever show (the client secret in a
    // token request's body), whatever the server answers.
    std::vector<std::string> secrets = {};
};

// Why a transfer produced no HTTP response.
enum class TransportFailure {
    none,
    refused_url, // not http(s), or a host the policy does not allow: never connected
    connect,     // could not resolve or connect
    timeout,     // usage_archive.connect_timeout_ms or request_timeout_ms
    too_large,   // body over usage_archive.max_response_bytes, or headers over kMaxResponseHeaderBytes
    aborted,     // the query was cancelled (pg_cancel_backend, statement_timeout)
    other,       // anything else libcurl reports (connection reset, truncated transfer, TLS ...)
};

struct HttpResponse {
    TransportFailure failure = TransportFailure::none;
    std::string failure_detail;
    long status = 0;
    std::string body;
    std::map<std::string, std::string> headers; // names in lower case
    // Body bytes a failed transfer received before it failed (its body is dropped): the run
    // log's bytes_received counts them, so a hostile answer shows how much it sent.
    std::uint64_t discarded_bytes = 0;

    bool ok() const { return failure == TransportFailure::none && status >= 200 && status < 300; }
    const std::string *header(const std::string &lower_name) const {
        auto it = headers.find(lower_name);
        return it == headers.end() ? nullptr : &it->second;
    }
};

// A fetch that cannot succeed. what() is complete and safe to show: it names the method,
// the URL without credentials, the status and the API's own error text, never a secret.
class HttpError : public std::runtime_error {
  public:
    enum class Kind { status, transport, refused, aborted, bad_token_response };
    HttpError(Kind kind, const std::string &message, long status = 0)
        : std::runtime_error(message), kind_(kind), status_(status) {}
    Kind kind() const { return kind_; }
    long status() const { return status_; }

  private:
    Kind kind_;
    long status_;
};

// Counts for the run log.
struct FetchStats {
    std::uint64_t requests = 0;
    std::uint64_t retries = 0;
    std::uint64_t bytes_received = 0;
};

} // namespace usage_archive::http
