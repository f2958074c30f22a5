#include "error_bridge.hpp"

#include <new>

namespace usage_archive::pg {
namespace {

// Texts are copied out of the exception into fixed buffers so that nothing needs
// allocating (and so nothing can fail) between catching and raising.
struct PendingError {
    int sqlstate = ERRCODE_INTERNAL_ERROR;
    char message[8192] = {};
    char detail[8192] = {};
    char hint[1024] = {};
};

void copy_text(char *to, std::size_t size, const char *from) {
    std::size_t n = std::strlen(from);
    if (n >= size) {
        n = size - 4;
        // Cut between characters: half a UTF-8 sequence is a message the client (and a
        // run log row) cannot take. Continuation bytes are 10xxxxxx.
        while (n > 0 && (static_cast<unsigned char>(from[n]) & 0xC0) == 0x80)
            --n;
        std::memcpy(to + n, "...", 4);
    } else {
        to[n] = '\0';
    }
    std::memcpy(to, from, n);
}

} // namespace

const char *sqlstate_of(const std::exception &e) noexcept {
    if (const auto *pg = dynamic_cast<const PgError *>(&e))
        return unpack_sql_state(pg->sqlstate());
    if (const auto *sql = dynamic_cast<const SqlError *>(&e))
        return unpack_sql_state(sql->sqlstate());
    if (dynamic_cast<const std::bad_alloc *>(&e))
        return unpack_sql_state(ERRCODE_OUT_OF_MEMORY);
    return unpack_sql_state(ERRCODE_INTERNAL_ERROR);
}

void check_for_interrupts() {
    if (INTERRUPTS_PENDING_CONDITION())
        pg_call([]() noexcept { CHECK_FOR_INTERRUPTS(); });
}

Datum run_entry_point(FunctionCallInfo fcinfo, Datum (*body)(FunctionCallInfo)) {
    ErrorData *pg_error = nullptr;
    // static: large, and a backend runs one entry point at a time (no threads in backends).
    static PendingError pending;
    try {
        return body(fcinfo);
    } catch (const PgError &e) {
        pg_error = e.data();
    } catch (const SqlError &e) {
        pending.sqlstate = e.sqlstate();
        copy_text(pending.message, sizeof pending.message, e.what());
        copy_text(pending.detail, sizeof pending.detail, e.detail().c_str());
        copy_text(pending.hint, sizeof pending.hint, e.hint().c_str());
    } catch (const std::bad_alloc &) {
        pending.sqlstate = ERRCODE_OUT_OF_MEMORY;
        copy_text(pending.message, sizeof pending.message, "out of memory in usage_archive");
        pending.detail[0] = pending.hint[0] = '\0';
    } catch (const std::exception &e) {
        pending.sqlstate = ERRCODE_INTERNAL_ERROR;
        copy_text(pending.message, sizeof pending.message, e.what());
        pending.detail[0] = pending.hint[0] = '\0';
    } catch (...) {
        pending.sqlstate = ERRCODE_INTERNAL_ERROR;
        copy_text(pending.message, sizeof pending.message, "unknown C++ exception in usage_archive");
        pending.detail[0] = pending.hint[0] = '\0';
    }
    // Only plain C from here on: every C++ frame of the body has been unwound.
    if (pg_error)
        ReThrowError(pg_error);
    ereport(ERROR, (errcode(pending.sqlstate), errmsg_internal("%s", pending.message),
                    pending.detail[0] ? errdetail_internal("%s", pending.detail) : 0,
                    pending.hint[0] ? errhint("%s", pending.hint) : 0));
    pg_unreachable();
}

} // namespace usage_archive::pg
