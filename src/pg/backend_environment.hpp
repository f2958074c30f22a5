// The HTTP layer's RunEnvironment inside a backend: cancellation is a pending query cancel
// or termination (pg_cancel_backend, statement_timeout, pg_terminate_backend), and waiting
// is on the process latch, which those signals set, so a wait ends as soon as they arrive.
#pragma once

#include "http/transport.hpp"

#include <random>

namespace usage_archive::pg {

class BackendEnvironment : public http::RunEnvironment {
  public:
    BackendEnvironment();
    bool should_abort() override;
    void sleep_ms(std::int64_t ms) override;
    std::int64_t now_ms() override;
    double random_unit() override;

  private:
    std::mt19937_64 random_;
};

} // namespace usage_archive::pg
