// Must NOT compile: a callable that may throw, handed to pg_call. An exception leaving it
// would unwind through PG_TRY and leave PG_exception_stack pointing into a dead frame.
// CMakeLists.txt compiles this with the server headers and expects pg_call's static_assert.
#include "pg/error_bridge.hpp"

#include <stdexcept>

void calls_postgres_then_throws() {
    usage_archive::pg::pg_call([] { throw std::runtime_error("escapes PG_TRY"); });
}
