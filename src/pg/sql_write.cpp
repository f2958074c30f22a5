#include "sql_write.hpp"

#include "argument_memory.hpp"
#include "citus_node.hpp"
#include "owner_rights.hpp"
#include "shard_order.hpp"
#include "sql_arrays.hpp"

#include "core/history_sql.hpp"
#include "core/tolerance.hpp"

#include <array>

#include <unordered_set>

extern "C" {
#include "utils/date.h"
}

namespace usage_archive::pg {
namespace {

// Rows per statement: large enough that statement overhead vanishes, small enough that the
// arrays of one chunk stay a few megabytes.
constexpr std::size_t kChunkRows = 10000;

// The arrays of one chunk: $1 ids, $2 days, then one per value column (history_sql.hpp).
std::vector<SpiArg> chunk_args(const WriteBatch &batch, const std::vector<std::size_t> &which, std::size_t from,
                               std::size_t to) {
    std::vector<std::int64_t> ids;
    std::vector<std::int32_t> days;
    std::array<std::vector<std::optional<core::MilliGb>>, core::kHistoryValueCount> values;
    for (std::size_t k = from; k < to; ++k) {
        const WriteItem &item = batch.items[which[k]];
        const core::StoredUsage stored = core::stored_form(*item.record);
        ids.push_back(item.line_id);
        days.push_back(item.day);
        for (std::size_t c = 0; c < core::kHistoryValueCount; ++c)
            values[c].push_back(stored[c]);
    }
    std::vector<SpiArg> args = {int8_array_arg(ids), date_array_arg(days)};
    for (const auto &column : values)
        args.push_back(milli_array_arg(column));
    return args;
}

// The audit rows of one chunk of updates: usage_corrections is written with its owner's
// rights, so archiving needs no write privilege on it and no archiving role can forge or
// rewrite corrections. The arrays are the columns of the audited UPDATE's RETURNING rows.
void record_corrections(std::int64_t run_id, const std::vector<SpiArg> &columns) {
    std::vector<SpiArg> args = {int8_arg(run_id)};
    args.insert(args.end(), columns.begin(), columns.end());
    with_owner_rights("usage_archive", "usage_corrections", [&] {
        static const std::string sql = core::corrections_insert_sql();
        spi_execute(sql.c_str(), args);
    });
}

std::vector<SpiArg> correction_columns(std::uint64_t rows) {
    std::vector<SpiArg> columns = {result_column_array_arg(1, INT8ARRAYOID, INT8OID, rows),
                                   result_column_array_arg(2, DATEARRAYOID, DATEOID, rows)};
    for (int column = 3; column <= 2 + 2 * static_cast<int>(core::kHistoryValueCount); ++column)
        columns.push_back(result_column_array_arg(column, NUMERICARRAYOID, NUMERICOID, rows));
    return columns;
}

// The statement of one chunk: `sql` over the chunk's arrays; or, with `locate_sql`, first
// that (the chunk's rows found by index probes: its result columns are `sql`'s arrays),
// then `sql` reaching each found row by its address, or by its key (RowAddress, history_sql.hpp).
std::uint64_t run_chunk(const char *sql, const char *locate_sql, core::RowAddress by, std::vector<SpiArg> args,
                        std::int64_t run_id) {
    if (!locate_sql) {
        args.push_back(int8_arg(run_id));
        return spi_execute(sql, args);
    }
    const std::uint64_t found = spi_execute(locate_sql, args);
    if (found == 0) {
        spi_free_result();
        return 0;
    }
    std::vector<SpiArg> located = {result_column_array_arg(1, INT8ARRAYOID, INT8OID, found),
                                   result_column_array_arg(2, DATEARRAYOID, DATEOID, found)};
    // The columns of history_locate_sql: key, new values, (by address: tableoid, ctid,) old values.
    constexpr int kValues = static_cast<int>(core::kHistoryValueCount);
    for (int column = 3; column < 3 + kValues; ++column)
        located.push_back(result_column_array_arg(column, NUMERICARRAYOID, NUMERICOID, found));
    int first_old = 3 + kValues;
    if (by == core::RowAddress::address) {
        located.push_back(result_column_array_arg(3 + kValues, OIDARRAYOID, OIDOID, found));
        located.push_back(result_column_array_arg(4 + kValues, TIDARRAYOID, TIDOID, found));
        first_old = 5 + kValues;
    }
    for (int column = first_old; column < first_old + kValues; ++column)
        located.push_back(result_column_array_arg(column, NUMERICARRAYOID, NUMERICOID, found));
    located.push_back(int8_arg(run_id));
    spi_free_result();
    std::uint64_t rows = 0;
    if (by == core::RowAddress::address)
        with_tid_lookups([&] { rows = spi_execute(sql, located); });
    else
        rows = spi_execute(sql, located); // index probes by key, as the locate statement's
    return rows;
}

void run_chunks_planned(const char *sql, const char *locate_sql, core::RowAddress by, const WriteBatch &batch,
                        const std::vector<std::size_t> &which, std::int64_t run_id, bool audited, std::uint64_t *written,
                        std::vector<std::size_t> &missed) {
    // Each chunk's arrays: its keys and values, the rows the locating statement found, the
    // audit's columns.
    ArgumentMemory arguments;
    for (std::size_t from = 0; from < which.size(); from += kChunkRows) {
        check_for_interrupts();
        const std::size_t to = std::min(which.size(), from + kChunkRows);
        const std::uint64_t rows = run_chunk(sql, locate_sql, by, chunk_args(batch, which, from, to), run_id);
        std::unordered_set<ItemKey, ItemKeyHash> done;
        done.reserve(rows);
        for (std::uint64_t r = 0; r < rows; ++r) {
            bool is_null;
            done.insert(item_key(DatumGetInt64(spi_datum(r, 1, &is_null)), DatumGetDateADT(spi_datum(r, 2, &is_null))));
        }
        const std::vector<SpiArg> corrections = audited && rows > 0 ? correction_columns(rows) : std::vector<SpiArg>{};
        spi_free_result();
        if (!corrections.empty())
            record_corrections(run_id, corrections);
        arguments.reset();
        *written += rows;
        for (std::size_t k = from; k < to; ++k) {
            const WriteItem &item = batch.items[which[k]];
            if (!done.count(item_key(item.line_id, item.day)))
                missed.push_back(which[k]);
        }
    }
    arguments.end();
}

// Runs `sql` over `which` a chunk at a time (after `locate_sql`, see run_chunk); the
// statement returns (service_line_id, usage_date) of each row it wrote, and with `audited`
// the old and new values after them. Returns the items it did not write.
std::vector<std::size_t> run_chunks(const char *sql, const char *locate_sql, core::RowAddress by,
                                    const WriteBatch &batch, const std::vector<std::size_t> &which,
                                    std::int64_t run_id, bool audited, std::uint64_t *written) {
    std::vector<std::size_t> missed;
    const std::vector<std::size_t> ordered = in_shard_order(batch, which); // Citus: few shards per chunk
    with_index_lookups(
        [&] { run_chunks_planned(sql, locate_sql, by, batch, ordered, run_id, audited, written, missed); });
    return missed;
}

// Finds the rows of `which` (history_locate_sql) and updates them (history_update_sql, with
// the audit when `audited`). They are named by their address (tableoid, ctid), but under Citus,
// where those name a row of a shard on a worker, by their key and old values (history_sql.hpp).
std::vector<std::size_t> locate_and_update(const WriteBatch &batch, const std::vector<std::size_t> &which,
                                           std::int64_t run_id, bool audited, std::uint64_t *written) {
    struct Statements {
        std::string locate, update;
    };
    // [audited][by key]
    static const Statements kStatements[2][2] = {
        {{core::history_locate_sql(), core::history_update_sql(false)},
         {core::history_locate_sql(core::RowAddress::key), core::history_update_sql(false, core::RowAddress::key)}},
        {{core::history_locate_sql(), core::history_update_sql(true)},
         {core::history_locate_sql(core::RowAddress::key), core::history_update_sql(true, core::RowAddress::key)}}};
    const core::RowAddress by = citus_installed() ? core::RowAddress::key : core::RowAddress::address;
    const Statements &sql = kStatements[audited ? 1 : 0][by == core::RowAddress::key ? 1 : 0];
    return run_chunks(sql.update.c_str(), sql.locate.c_str(), by, batch, which, run_id, audited, written);
}

} // namespace

std::vector<std::size_t> sql_insert(const WriteBatch &batch, const std::vector<std::size_t> &which,
                                    std::int64_t run_id, bool has_rules, std::uint64_t *inserted) {
    static const std::string kSkipConflicts = core::history_insert_sql(true);
    static const std::string kPlain = core::history_insert_sql(false);
    return run_chunks(has_rules ? kPlain.c_str() : kSkipConflicts.c_str(), nullptr, core::RowAddress::address, batch,
                      which, run_id, false, inserted);
}

std::vector<std::size_t> sql_overwrite_own_rows(const WriteBatch &batch, const std::vector<std::size_t> &which,
                                                std::int64_t run_id, std::uint64_t *written) {
    // Found as sql_update finds them, without the audit.
    return locate_and_update(batch, which, run_id, false, written);
}

std::vector<std::size_t> sql_update(const WriteBatch &batch, const std::vector<std::size_t> &which,
                                    std::int64_t run_id, std::uint64_t *updated) {
    // The rows are found first, each (history_locate_sql) by an index probe in a LATERAL subquery fenced with OFFSET 0, so the
    // keys are always the outer side whatever the statistics say; then each reached by its
    // address: a ctid is a place in one table, so with partitions the row is named by its
    // partition (tableoid) too, and by its key, which prunes the scan to that partition. A row
    // another session updated in between has a new ctid: it is not updated here, and the next
    // round compares it again. The values found are the audit row's old values
    // (record_corrections). Under Citus the rows are found by a join and named by key and old
    // values instead (RowAddress::key); a row updated meanwhile to other values is left the same way.
    return locate_and_update(batch, which, run_id, true, updated);
}

} // namespace usage_archive::pg
