// SPI through the error bridge: statements with typed parameters, and reading results.
// Unlike SPI itself, which makes its procedure's memory context current after every
// statement, these leave the caller's memory context current (ArgumentMemory relies on it).
#pragma once

#include "error_bridge.hpp"
#include "setting_scope.hpp"

#include "core/non_copyable.hpp"

#include <string>
#include <vector>

namespace usage_archive::pg {

struct SpiArg {
    Oid type;
    Datum value;
    bool is_null = false;
};

void spi_connect();
void spi_finish();

// Runs sql ($1..$n bound to args) and returns SPI_processed; SPI_tuptable holds the rows.
// Every statement takes a fresh snapshot, as a volatile function's statements do: it sees
// what this run wrote before it and what other sessions committed meanwhile (a run may have
// waited for another run of its source).
std::uint64_t spi_execute(const char *sql, const std::vector<SpiArg> &args);

// spi_execute with the latest snapshot also in REPEATABLE READ and SERIALIZABLE, where a
// statement otherwise uses the transaction's: for a write of a row that another transaction
// committed after that snapshot on this run's behalf (the worker's 'running' row of the run
// log), which the transaction's snapshot would answer with 40001.
std::uint64_t spi_execute_latest(const char *sql, const std::vector<SpiArg> &args);

// Which snapshot a cursor reads with: the statement's (the transaction's in REPEATABLE READ
// and SERIALIZABLE), or the latest one, which sees everything committed so far, as
// PostgreSQL's own foreign-key checks read in those isolation levels.
enum class CursorSnapshot { statement, latest };

// Streams the result of a query through a cursor, `rows_per_fetch` rows at a time, so a
// large result never sits in memory whole. `each` gets the number of rows now in
// SPI_tuptable; the rows are freed after it returns.
template <typename Each>
void spi_for_each_batch(const char *sql, const std::vector<SpiArg> &args, long rows_per_fetch, Each each,
                        CursorSnapshot snapshot = CursorSnapshot::statement);

// A statement prepared once and kept for the backend's life (SPI_keepplan), for what runs per
// row or per transaction. Its SQL must name every object with its schema: PostgreSQL plans it
// again under whatever search_path is current when it notices a change.
SPIPlanPtr spi_saved_plan(const std::string &sql, const std::vector<Oid> &types);
void spi_free_saved_plan(SPIPlanPtr plan);

// Runs a saved plan with values (nulls: ' ' or 'n' per value) and returns SPI_processed;
// `expected` is the SPI_OK_* code the statement must return.
std::uint64_t spi_execute_saved(SPIPlanPtr plan, Datum *values, const char *nulls, int expected);

// A saved query run with the latest snapshot, as PostgreSQL's foreign-key checks do in
// REPEATABLE READ and SERIALIZABLE: it sees rows committed after the transaction's snapshot.
std::uint64_t spi_query_saved_latest(SPIPlanPtr plan, Datum *values, const char *nulls);

// Frees SPI_tuptable of the last statement (SPI would keep every result until the end).
void spi_free_result();

// Column values of row `row` of SPI_tuptable (1-based column numbers, as SPI counts them).
Datum spi_datum(std::uint64_t row, int column, bool *is_null);
std::int64_t spi_int64(std::uint64_t row, int column);
std::int32_t spi_int32(std::uint64_t row, int column);
bool spi_bool(std::uint64_t row, int column);
std::string spi_text(std::uint64_t row, int column, bool *is_null = nullptr);
// A text[] column as strings (NULL elements left out; a NULL array: empty).
std::vector<std::string> spi_text_array(std::uint64_t row, int column);

// The first column of every row a statement returns, its result freed: the common "which
// ids / names" query.
std::vector<std::int64_t> spi_int64_column(const char *sql, const std::vector<SpiArg> &args);
std::vector<std::string> spi_text_column(const char *sql, const std::vector<SpiArg> &args);

// Argument constructors.
SpiArg text_arg(const std::string &value);
SpiArg int8_arg(std::int64_t value);
SpiArg bool_arg(bool value);

// Runs `fn` (statements that look rows up by primary key, a few thousand at a time) with hash
// joins, merge joins, sequential scans and JIT disabled, restoring the settings afterwards.
// Right after a large load the planner's statistics still describe a small table, and it
// would hash or scan the whole table for a few thousand keyed lookups. Disabling joins is not
// enough on its own: with skewed column statistics a nested loop can still put the whole
// table outside and the looked-up keys inside; the statements themselves fix the join order
// (the keys in a LATERAL subquery fenced with OFFSET 0, see sql_write.cpp).
template <typename Fn> void with_index_lookups(Fn fn);
// Runs `fn` with plans that reach the history only by row address (a TID scan per row to
// change): for a statement whose rows were found already, whatever the statistics say.
template <typename Fn> void with_tid_lookups(Fn fn);

// Cursor primitives behind SpiCursor.
Portal spi_open_cursor(const char *sql, const std::vector<SpiArg> &args, CursorSnapshot snapshot = CursorSnapshot::statement);
std::uint64_t spi_fetch(Portal portal, long rows);

template <typename Fn> void with_index_lookups(Fn fn) {
    // JIT too: with stale statistics these statements look expensive, and compiling them
    // would cost more than running them.
    SettingScope settings(
        {{"enable_hashjoin", "off"}, {"enable_mergejoin", "off"}, {"enable_seqscan", "off"}, {"jit", "off"}});
    fn();
    settings.end();
}

template <typename Fn> void with_tid_lookups(Fn fn) {
    // Every other way to the table is off: with statistics of a table that was empty when last
    // analyzed, an UPDATE ... FROM joined the other way round (the whole table outside, the
    // rows to change rescanned inside) ran for many minutes on 10,000 rows.
    SettingScope settings({{"enable_seqscan", "off"},
                           {"enable_indexscan", "off"},
                           {"enable_indexonlyscan", "off"},
                           {"enable_bitmapscan", "off"},
                           {"enable_hashjoin", "off"},
                           {"enable_mergejoin", "off"},
                           {"enable_material", "off"},
                           {"jit", "off"}});
    fn();
    settings.end();
}

// An open cursor, closed exactly once: by close(), or by the destructor when an error ends
// the loop early. A rollback that ended the (sub)transaction has already dropped the portal
// with it; the cursor is then looked up by name and left alone if it is gone, never closed
// through a dangling pointer.
class SpiCursor : core::NonCopyable {
  public:
    SpiCursor(const char *sql, const std::vector<SpiArg> &args, CursorSnapshot snapshot);
    ~SpiCursor();

    std::uint64_t fetch(long rows) { return spi_fetch(portal_, rows); }
    void close();

  private:
    Portal portal_;
    std::string name_;
    bool open_ = true;
};

template <typename Each>
void spi_for_each_batch(const char *sql, const std::vector<SpiArg> &args, long rows_per_fetch, Each each,
                        CursorSnapshot snapshot) {
    SpiCursor cursor(sql, args, snapshot);
    for (;;) {
        check_for_interrupts();
        const std::uint64_t rows = cursor.fetch(rows_per_fetch);
        if (rows == 0)
            break;
        each(rows);
        spi_free_result();
    }
    spi_free_result();
    cursor.close();
}

} // namespace usage_archive::pg
