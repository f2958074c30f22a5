// The HTTP layer's RunEnvironment inside a backend: cancellation is a pending query cancel
// or termination (pg_cancel_backend, statement_timeout, pg_terminate_backend), and waiting
// is on the process latch, which those signals set, so a wait ends as soon as they arrive.
// Waits are visible: pg_stat_activity shows wait_event_type 'Extension' (PostgreSQL 15 gives
// extensions no wait event names of their own), and the process title says what the fetch of
// which source waits for ("usage_archive fleet: waiting for the API"), for ps and top.
#pragma once

#include "core/non_copyable.hpp"
#include "http/transport.hpp"

#include <random>
#include <string>

namespace usage_archive::pg {

class BackendEnvironment : public http::RunEnvironment, core::NonCopyable {
  public:
    explicit BackendEnvironment(const std::string &source);
    ~BackendEnvironment() override; // restores the process title

    bool should_abort() override;
    void sleep_ms(std::int64_t ms) override;
    std::int64_t now_ms() override;
    double random_unit() override;
    void waiting_for(Wait what) noexcept override;
    void waiting_ends() noexcept override;

  private:
    void show(const char *doing) noexcept;
    std::mt19937_64 random_;
    std::string source_;
    std::string saved_title_; // the statement's own title ("SELECT"), put back at the end
    char title_[256] = {};
};

} // namespace usage_archive::pg
