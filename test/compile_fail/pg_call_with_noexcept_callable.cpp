// Must compile (the control for pg_call_with_throwing_callable.cpp): the same call with a
// noexcept callable, so that test fails for the static_assert and nothing else.
#include "pg/error_bridge.hpp"

void calls_postgres() {
    usage_archive::pg::pg_call([]() noexcept { CHECK_FOR_INTERRUPTS(); });
}
