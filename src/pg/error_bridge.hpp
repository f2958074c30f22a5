// The C++/PostgreSQL error rule (pg_duckdb's pattern), in one place:
//  * no C++ exception crosses a PostgreSQL C frame: every SQL-callable function is a thin
//    extern "C" wrapper around run_entry_point(), which catches everything, lets the C++
//    stack unwind, and only then raises the PostgreSQL error;
//  * no PostgreSQL longjmp skips a C++ destructor: every call into PostgreSQL that can
//    raise goes through pg_call(), which runs it under PG_TRY, copies the error, and rethrows
//    it as a C++ PgError; its callable must be noexcept, which the compiler checks;
//  * every cleanup happens exactly once, however the code ends: what a (sub)transaction
//    rollback would also undo (a subtransaction, a GUC nest level, a cursor) is held by an
//    RAII object (InternalSubtransaction, SettingScope, SpiCursor) that undoes it once, on
//    the normal path explicitly and on an exception in its destructor, and that first checks
//    the rollback has not undone it already (a double pop or release corrupts the caller's
//    state). Destructors never throw: a cleanup that fails leaves it to the transaction's
//    abort, which the error on its way out is about to cause anyway.
#pragma once

#include "pg_prelude.hpp"

#include <exception>
#include <string>
#include <type_traits>

namespace usage_archive::pg {

// A PostgreSQL error caught by pg_call, carried through C++ frames unchanged (SQLSTATE,
// detail, hint and context survive) and re-raised by run_entry_point.
class PgError : public std::exception {
  public:
    explicit PgError(ErrorData *data) : data_(data) {}
    const char *what() const noexcept override { return data_->message ? data_->message : "PostgreSQL error"; }
    ErrorData *data() const { return data_; }
    int sqlstate() const { return data_->sqlerrcode; }

  private:
    ErrorData *data_; // palloc'd in the caller's memory context, which outlives the unwind
};

// An error our own C++ code raises for SQL: the SQLSTATE and texts the user will see.
class SqlError : public std::exception {
  public:
    SqlError(int sqlstate, std::string message, std::string detail = {}, std::string hint = {})
        : sqlstate_(sqlstate), message_(std::move(message)), detail_(std::move(detail)), hint_(std::move(hint)) {}
    const char *what() const noexcept override { return message_.c_str(); }
    int sqlstate() const { return sqlstate_; }
    const std::string &detail() const { return detail_; }
    const std::string &hint() const { return hint_; }

  private:
    int sqlstate_;
    std::string message_, detail_, hint_;
};

// Runs fn, a call into PostgreSQL, so that an ereport(ERROR) inside it becomes a PgError.
// fn must not create C++ objects with destructors: a longjmp out of it would skip them.
// Keep it to plain PostgreSQL calls on plain values and pointers.
//
// fn must be declared noexcept (`[..]() noexcept { ... }`): a C++ exception leaving it
// would unwind through PG_TRY's frame and leave PG_exception_stack pointing into a dead
// stack frame, so the next ereport would jump into garbage. The compiler enforces it below;
// test/compile_fail/ shows the error a throwing callable gets.
template <typename Fn> auto pg_call(Fn &&fn) -> decltype(fn()) {
    static_assert(std::is_nothrow_invocable_v<Fn &>,
                  "pg_call: the callable must be noexcept (a C++ exception must not cross PG_TRY)");
    using Result = decltype(fn());
    if constexpr (std::is_void_v<Result>) {
        MemoryContext caller_context = CurrentMemoryContext;
        ErrorData *volatile error = nullptr;
        PG_TRY();
        { fn(); }
        PG_CATCH();
        {
            MemoryContextSwitchTo(caller_context);
            error = CopyErrorData();
            FlushErrorState();
        }
        PG_END_TRY();
        if (error) // thrown only now: PG_exception_stack is restored
            throw PgError(error);
    } else {
        static_assert(std::is_trivially_copyable_v<Result>, "pg_call returns plain values only");
        Result result{};
        Result *out = &result;
        pg_call([&fn, out]() noexcept { *out = fn(); });
        return result;
    }
}

// The five-character SQLSTATE an exception will be raised with (see run_entry_point).
const char *sqlstate_of(const std::exception &e) noexcept;

// CHECK_FOR_INTERRUPTS for C++ code: a cancel or statement_timeout becomes a PgError that
// unwinds our stack before PostgreSQL sees it again.
void check_for_interrupts();

// The body of every SQL-callable function runs here (see the file comment).
Datum run_entry_point(FunctionCallInfo fcinfo, Datum (*body)(FunctionCallInfo));

} // namespace usage_archive::pg

// Defines the SQL-callable C function `name` (the symbol named in CREATE FUNCTION) as a thin
// wrapper that runs the C++ function `body` through run_entry_point.
#define USAGE_ARCHIVE_SQL_FUNCTION(name, body)                                                                         \
    extern "C" {                                                                                                       \
    PGDLLEXPORT Datum name(PG_FUNCTION_ARGS);                                                                          \
    PG_FUNCTION_INFO_V1(name);                                                                                         \
    Datum name(PG_FUNCTION_ARGS) { return usage_archive::pg::run_entry_point(fcinfo, body); }                          \
    }
