// The seams of the HTTP layer: what performs transfers, and what provides time, waiting and
// cancellation. The PostgreSQL side supplies a libcurl transport and a latch-based
// environment; unit tests supply fakes with virtual time.
#pragma once

#include "http_types.hpp"

#include <cstdint>
#include <functional>
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

    // What the run is about to wait for, and that the wait is over, so the host can show it
    // (a backend: a wait event in pg_stat_activity and its process title). Must not throw.
    enum class Wait { response, retry_delay, rate_limit };
    virtual void waiting_for(Wait) noexcept {}
    virtual void waiting_ends() noexcept {}
};

// Called once per request, as soon as its transfer ends (completion order), with its index
// in the request list. The handler may take its time (parse the body): the other transfers
// go on arriving meanwhile. What it throws ends perform() and propagates.
using ResponseHandler = std::function<void(std::size_t index, HttpResponse &response)>;

class HttpTransport {
  public:
    virtual ~HttpTransport() = default;
    // Performs the requests, at most max_parallel at a time. A failed transfer is not an
    // exception but a response with `failure` set. Once should_abort() holds, the transfers
    // still running end promptly with TransportFailure::aborted.
    virtual void perform(const std::vector<HttpRequest> &requests, int max_parallel, const ResponseHandler &on_response) = 0;
};

} // namespace usage_archive::http
