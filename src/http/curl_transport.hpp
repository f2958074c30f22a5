// HttpTransport over libcurl's multi interface: several transfers at once in this one
// thread, connections kept alive between calls, every transfer bounded in time and size,
// and cancellable within a poll interval.
#pragma once

#include "transport.hpp"
#include "url_policy.hpp"

#include "core/non_copyable.hpp"

#include <cstdint>
#include <string>

namespace usage_archive::http {

// The most header bytes one transfer may receive (all its responses, 1xx included). Real
// APIs send a few kB; libcurl's own bound depends on its version (300 kB in patched 7.88 and
// 8.x, none before), and every header is also kept in HttpResponse::headers.
constexpr std::size_t kMaxResponseHeaderBytes = 256 * 1024;

struct CurlOptions {
    long connect_timeout_ms = 10000;               // usage_archive.connect_timeout_ms
    long request_timeout_ms = 60000;               // usage_archive.request_timeout_ms
    std::uint64_t max_response_bytes = 256u << 20; // usage_archive.max_response_bytes
    std::string ca_file;                           // usage_archive.ca_file; empty: the system's
    // "usage_archive/<version>", the caller's: this code does not know which version it is.
    std::string user_agent = "usage_archive";
    HostPolicy hosts;                              // checked before every connection
};

class CurlTransport : public HttpTransport, core::NonCopyable {
  public:
    CurlTransport(CurlOptions options, RunEnvironment &env);
    ~CurlTransport() override;

    void perform(const std::vector<HttpRequest> &requests, int max_parallel, const ResponseHandler &on_response) override;

  private:
    CurlOptions options_;
    RunEnvironment &env_;
    void *multi_; // CURLM*, kept for its connection cache
    bool performing_ = false;
};

} // namespace usage_archive::http
