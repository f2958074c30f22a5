#include "backend_environment.hpp"

#include "error_bridge.hpp"

#include <chrono>

extern "C" {
#include "storage/latch.h"
#include "utils/ps_status.h"
#include "utils/wait_event.h"
}

namespace usage_archive::pg {

BackendEnvironment::BackendEnvironment(const std::string &source)
    : random_(static_cast<std::uint64_t>(MyProcPid) ^
              static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count())),
      source_(source) {
    int length = 0;
    const char *title = get_ps_display(&length);
    saved_title_.assign(title, static_cast<std::size_t>(length));
    show("fetching");
}

BackendEnvironment::~BackendEnvironment() {
    pgstat_report_wait_end();
    set_ps_display(saved_title_.c_str());
}

// set_ps_display and the wait-event calls only write this process's memory: they cannot
// raise, so they are safe in noexcept code.
void BackendEnvironment::show(const char *doing) noexcept {
    snprintf(title_, sizeof title_, "usage_archive %s: %s", source_.c_str(), doing);
    set_ps_display(title_);
}

void BackendEnvironment::waiting_for(Wait what) noexcept {
    switch (what) {
    case Wait::response:
        pgstat_report_wait_start(PG_WAIT_EXTENSION);
        show("waiting for the API");
        break;
    case Wait::retry_delay: // sleep_ms reports the wait event itself (WaitLatch)
        show("waiting to retry");
        break;
    case Wait::rate_limit:
        show("waiting for the rate limit");
        break;
    }
}

void BackendEnvironment::waiting_ends() noexcept {
    pgstat_report_wait_end();
    show("fetching");
}

bool BackendEnvironment::should_abort() {
    // Only the interrupts that end the query: others (catch-up, barriers) are served later
    // by CHECK_FOR_INTERRUPTS and must not fail a fetch.
    return QueryCancelPending || ProcDiePending;
}

void BackendEnvironment::sleep_ms(std::int64_t ms) {
    const long timeout = static_cast<long>(std::min<std::int64_t>(ms, 1000));
    pg_call([timeout]() noexcept {
        (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, timeout, PG_WAIT_EXTENSION);
        ResetLatch(MyLatch);
    });
}

std::int64_t BackendEnvironment::now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

double BackendEnvironment::random_unit() { return std::uniform_real_distribution<double>(0.0, 1.0)(random_); }

} // namespace usage_archive::pg
