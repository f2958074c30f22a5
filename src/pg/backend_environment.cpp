#include "backend_environment.hpp"

#include "error_bridge.hpp"

#include <chrono>

extern "C" {
#include "storage/latch.h"
#include "utils/wait_event.h"
}

namespace usage_archive::pg {

BackendEnvironment::BackendEnvironment()
    : random_(static_cast<std::uint64_t>(MyProcPid) ^
              static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count())) {}

bool BackendEnvironment::should_abort() {
    // Only the interrupts that end the query: others (catch-up, barriers) are served later
    // by CHECK_FOR_INTERRUPTS and must not fail a fetch.
    return QueryCancelPending || ProcDiePending;
}

void BackendEnvironment::sleep_ms(std::int64_t ms) {
    const long timeout = static_cast<long>(std::min<std::int64_t>(ms, 1000));
    pg_call([timeout] {
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
