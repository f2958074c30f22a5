// The seams of the HTTP layer: what performs transfers, and what provides time, waiting and
// cancellation. The PostgreSQL side supplies a libcurl transport and a latch-based
// environment; unit tests supply fakes with virtual time.
#pragma once

#include "http_types.hpp"

#include <cstdint>
#include <vector>

namespace usage_archive::http {

class RunEnvironment {
  public:
    virtual ~RunEnvironment() = default;
    // True once the caller wants the run to stop (a cancel or timeout is pending). Must not
    // raise or throw: it is polled from libcurl callbacks.
    virtual bool should_abort() = 0;
    // Waits up to ms milliseconds, returning early when should_abort() becomes true.
    virtual void sleep_ms(std::int64_t ms) = 0;
    virtual std::int64_t now_ms() = 0;
    // Uniform in [0, 1): the jitter of retry delays.
    virtual double random_unit() = 0;
};

class HttpTransport {
  public:
    virtual ~HttpTransport() = default;
    // Performs the requests, at most max_parallel at a time, and returns one response per
    // request in the same order. Never throws for a failed transfer: that is the response's
    // `failure`. Returns promptly with TransportFailure::aborted once should_abort() holds.
    virtual std::vector<HttpResponse> perform(const std::vector<HttpRequest> &requests, int max_parallel) = 0;
};

} // namespace usage_archive::http
