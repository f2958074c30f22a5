#include "spi_support.hpp"

#include <utility>

extern "C" {
#include "utils/snapmgr.h"
}

namespace usage_archive::pg {

void spi_connect() {
    pg_call([]() noexcept {
        if (SPI_connect() != SPI_OK_CONNECT)
            elog(ERROR, "usage_archive: SPI_connect failed");
    });
}

void spi_finish() {
    pg_call([]() noexcept { SPI_finish(); });
}

namespace {

// SPI makes its procedure's memory context current after every statement, fetch and
// prepare (_SPI_end_call); these wrappers put the caller's back, as pg_call does after an
// error. So a context a caller chose for a stretch of statements (ArgumentMemory) stays
// current across them: what it builds after a statement lands there, not in the procedure's
// context until the call returns.
template <typename Fn> auto spi_call(Fn &&fn) {
    const MemoryContext caller = CurrentMemoryContext;
    const auto result = pg_call(std::forward<Fn>(fn));
    MemoryContextSwitchTo(caller);
    return result;
}

struct SpiParams {
    std::vector<Oid> types;
    std::vector<Datum> values;
    std::vector<char> nulls;

    explicit SpiParams(const std::vector<SpiArg> &args)
        : types(args.size()), values(args.size()), nulls(args.size() + 1, '\0') {
        for (std::size_t i = 0; i < args.size(); ++i) {
            types[i] = args[i].type;
            values[i] = args[i].value;
            nulls[i] = args[i].is_null ? 'n' : ' ';
        }
    }
};
} // namespace

Portal spi_open_cursor(const char *sql, const std::vector<SpiArg> &args, CursorSnapshot snapshot) {
    SpiParams p(args);
    const int n = static_cast<int>(args.size());
    Oid *t = p.types.data();
    Datum *v = p.values.data();
    char *nl = p.nulls.data();
    if (snapshot == CursorSnapshot::statement)
        // read_only false: a fresh snapshot that sees what this run and committed runs wrote.
        return spi_call([=]() noexcept { return SPI_cursor_open_with_args(nullptr, sql, n, t, v, nl, false, 0); });
    // read_only true: the portal keeps the active snapshot, here the latest one.
    return spi_call([=]() noexcept {
        CommandCounterIncrement();
        PushActiveSnapshot(GetLatestSnapshot());
        Portal portal = SPI_cursor_open_with_args(nullptr, sql, n, t, v, nl, true, 0);
        PopActiveSnapshot();
        return portal;
    });
}

std::uint64_t spi_fetch(Portal portal, long rows) {
    return spi_call([=]() noexcept {
        SPI_cursor_fetch(portal, true, rows);
        return SPI_processed;
    });
}

SpiCursor::SpiCursor(const char *sql, const std::vector<SpiArg> &args, CursorSnapshot snapshot)
    : portal_(spi_open_cursor(sql, args, snapshot)), name_(portal_->name) {}

void SpiCursor::close() {
    if (!open_)
        return;
    open_ = false;
    const char *name = name_.c_str();
    pg_call([name]() noexcept {
        if (Portal portal = SPI_cursor_find(name))
            SPI_cursor_close(portal);
    });
}

SpiCursor::~SpiCursor() {
    try {
        close();
    } catch (...) {
        // Closing failed: the error on its way out aborts the transaction, which drops the
        // portal.
    }
}

void spi_free_result() {
    pg_call([]() noexcept {
        if (SPI_tuptable) {
            SPI_freetuptable(SPI_tuptable);
            SPI_tuptable = nullptr;
        }
    });
}

SPIPlanPtr spi_saved_plan(const std::string &sql, const std::vector<Oid> &types) {
    const char *text = sql.c_str();
    const int n = static_cast<int>(types.size());
    Oid *argtypes = const_cast<Oid *>(types.data());
    return spi_call([text, n, argtypes]() noexcept {
        SPIPlanPtr p = SPI_prepare(text, n, argtypes);
        if (!p)
            elog(ERROR, "usage_archive: could not prepare %s: %s", text, SPI_result_code_string(SPI_result));
        if (SPI_keepplan(p) != 0)
            elog(ERROR, "usage_archive: could not keep the plan of %s", text);
        return p;
    });
}

void spi_free_saved_plan(SPIPlanPtr plan) {
    pg_call([plan]() noexcept { SPI_freeplan(plan); });
}

std::uint64_t spi_execute_saved(SPIPlanPtr plan, Datum *values, const char *nulls, int expected) {
    return spi_call([plan, values, nulls, expected]() noexcept {
        const int rc = SPI_execute_plan(plan, values, nulls, false, 0);
        if (rc != expected)
            elog(ERROR, "usage_archive: a prepared statement failed (%s)", SPI_result_code_string(rc));
        return SPI_processed;
    });
}

std::vector<std::string> spi_text_array(std::uint64_t row, int column) {
    bool is_null;
    const Datum d = spi_datum(row, column, &is_null);
    std::vector<std::string> out;
    if (is_null)
        return out;
    Datum *elements;
    bool *nulls;
    int count;
    pg_call([d, &elements, &nulls, &count]() noexcept {
        deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT, &elements, &nulls, &count);
        for (int i = 0; i < count; ++i)
            if (!nulls[i])
                elements[i] = PointerGetDatum(pg_detoast_datum_packed(reinterpret_cast<struct varlena *>(DatumGetPointer(elements[i]))));
    });
    for (int i = 0; i < count; ++i)
        if (!nulls[i]) {
            const struct varlena *v = reinterpret_cast<const struct varlena *>(DatumGetPointer(elements[i]));
            out.emplace_back(VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v));
        }
    return out;
}

std::uint64_t spi_query_saved_latest(SPIPlanPtr plan, Datum *values, const char *nulls) {
    return spi_call([plan, values, nulls]() noexcept {
        CommandCounterIncrement();
        const int rc = SPI_execute_snapshot(plan, values, nulls, GetLatestSnapshot(), InvalidSnapshot, false, false, 0);
        if (rc != SPI_OK_SELECT)
            elog(ERROR, "usage_archive: a prepared query failed (%s)", SPI_result_code_string(rc));
        return SPI_processed;
    });
}

namespace {

// spi_execute's body; `latest` runs the statement with the latest snapshot (prepared, then
// SPI_execute_snapshot) instead of the one SPI would take for it.
std::uint64_t execute_statement(const char *sql, const std::vector<SpiArg> &args, bool latest) {
    SpiParams p(args);
    const int n = static_cast<int>(args.size());
    Oid *t = p.types.data();
    Datum *v = p.values.data();
    char *nl = p.nulls.data();
    return spi_call([=]() noexcept {
        int rc;
        if (!latest) {
            rc = SPI_execute_with_args(sql, n, t, v, nl, false, 0);
        } else {
            SPIPlanPtr plan = SPI_prepare(sql, n, t);
            if (plan == nullptr)
                elog(ERROR, "usage_archive: SPI_prepare failed (%s) for: %s", SPI_result_code_string(SPI_result), sql);
            CommandCounterIncrement();
            // fire_triggers true: AFTER triggers fire at the statement's end, as without `latest`.
            rc = SPI_execute_snapshot(plan, v, nl, GetLatestSnapshot(), InvalidSnapshot, false, true, 0);
            SPI_freeplan(plan);
        }
        if (rc < 0)
            elog(ERROR, "usage_archive: SPI failed (%s) for: %s", SPI_result_code_string(rc), sql);
        return SPI_processed;
    });
}

} // namespace

std::uint64_t spi_execute(const char *sql, const std::vector<SpiArg> &args) {
    return execute_statement(sql, args, false);
}

std::uint64_t spi_execute_latest(const char *sql, const std::vector<SpiArg> &args) {
    return execute_statement(sql, args, true);
}

Datum spi_datum(std::uint64_t row, int column, bool *is_null) {
    // heap_getattr only reads the tuple in memory: it cannot raise.
    return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, column, is_null);
}

std::int64_t spi_int64(std::uint64_t row, int column) {
    bool is_null;
    Datum d = spi_datum(row, column, &is_null);
    return is_null ? 0 : DatumGetInt64(d);
}

std::int32_t spi_int32(std::uint64_t row, int column) {
    bool is_null;
    Datum d = spi_datum(row, column, &is_null);
    return is_null ? 0 : DatumGetInt32(d);
}

bool spi_bool(std::uint64_t row, int column) {
    bool is_null;
    Datum d = spi_datum(row, column, &is_null);
    return !is_null && DatumGetBool(d);
}

std::string spi_text(std::uint64_t row, int column, bool *is_null) {
    bool null_value;
    Datum d = spi_datum(row, column, &null_value);
    if (is_null)
        *is_null = null_value;
    if (null_value)
        return {};
    char *c = pg_call([d]() noexcept { return text_to_cstring(DatumGetTextPP(d)); });
    std::string out(c);
    pfree(c);
    return out;
}

namespace {

template <typename T, typename Read> std::vector<T> first_column(const char *sql, const std::vector<SpiArg> &args, Read read) {
    const std::uint64_t n = spi_execute(sql, args);
    std::vector<T> values;
    values.reserve(n);
    for (std::uint64_t r = 0; r < n; ++r)
        values.push_back(read(r));
    spi_free_result();
    return values;
}

} // namespace

std::vector<std::int64_t> spi_int64_column(const char *sql, const std::vector<SpiArg> &args) {
    return first_column<std::int64_t>(sql, args, [](std::uint64_t r) { return spi_int64(r, 1); });
}

std::vector<std::string> spi_text_column(const char *sql, const std::vector<SpiArg> &args) {
    return first_column<std::string>(sql, args, [](std::uint64_t r) { return spi_text(r, 1); });
}

SpiArg text_arg(const std::string &value) {
    const char *c = value.c_str();
    return SpiArg{TEXTOID, pg_call([c]() noexcept { return PointerGetDatum(cstring_to_text(c)); })};
}

SpiArg int8_arg(std::int64_t value) { return SpiArg{INT8OID, Int64GetDatum(value)}; }

SpiArg bool_arg(bool value) { return SpiArg{BOOLOID, BoolGetDatum(value)}; }

} // namespace usage_archive::pg
