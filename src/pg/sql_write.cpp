#include "sql_write.hpp"

#include "owner_rights.hpp"
#include "shard_order.hpp"
#include "sql_arrays.hpp"

#include <unordered_set>

extern "C" {
#include "utils/date.h"
}

namespace usage_archive::pg {
namespace {

// Rows per statement: large enough that statement overhead vanishes, small enough that the
// arrays of one chunk stay a few megabytes.
constexpr std::size_t kChunkRows = 10000;

// The arrays of one chunk: $1 ids, $2 days, $3..$7 the value columns.
std::vector<SpiArg> chunk_args(const WriteBatch &batch, const std::vector<std::size_t> &which, std::size_t from,
                               std::size_t to) {
    std::vector<std::int64_t> ids;
    std::vector<std::int32_t> days;
    std::vector<std::optional<core::MilliGb>> consumed, priority, opt_in, standard, non_billable;
    for (std::size_t k = from; k < to; ++k) {
        const WriteItem &item = batch.items[which[k]];
        const core::StoredUsage v = core::stored_form(*item.record);
        ids.push_back(item.line_id);
        days.push_back(item.day);
        consumed.push_back(v.consumed);
        priority.push_back(v.priority);
        opt_in.push_back(v.opt_in_priority);
        standard.push_back(v.standard);
        non_billable.push_back(v.non_billable);
    }
    return {int8_array_arg(ids),          date_array_arg(days),     milli_array_arg(consumed),
            milli_array_arg(priority),    milli_array_arg(opt_in), milli_array_arg(standard),
            milli_array_arg(non_billable)};
}

// The audit rows of one chunk of updates: usage_corrections is written with its owner's
// rights, so archiving needs no write privilege on it and no archiving role can forge or
// rewrite corrections. The arrays are columns 1..12 of the UPDATE's RETURNING rows.
void record_corrections(std::int64_t run_id, const std::vector<SpiArg> &columns) {
    std::vector<SpiArg> args = {int8_arg(run_id)};
    args.insert(args.end(), columns.begin(), columns.end());
    with_owner_rights("usage_archive", "usage_corrections", [&] {
        spi_execute("INSERT INTO usage_archive.usage_corrections (run_id, service_line_id, usage_date, "
                    "    old_consumed_gb, new_consumed_gb, old_priority_gb, new_priority_gb, "
                    "    old_opt_in_priority_gb, new_opt_in_priority_gb, old_standard_gb, new_standard_gb, "
                    "    old_non_billable_gb, new_non_billable_gb) "
                    "SELECT $1, u.* FROM unnest($2::int8[], $3::date[], $4::numeric[], $5::numeric[], "
                    "    $6::numeric[], $7::numeric[], $8::numeric[], $9::numeric[], $10::numeric[], $11::numeric[], "
                    "    $12::numeric[], $13::numeric[]) AS u",
                    args);
    });
}

std::vector<SpiArg> correction_columns(std::uint64_t rows) {
    std::vector<SpiArg> columns = {result_column_array_arg(1, INT8ARRAYOID, INT8OID, rows),
                                   result_column_array_arg(2, DATEARRAYOID, DATEOID, rows)};
    for (int column = 3; column <= 12; ++column)
        columns.push_back(result_column_array_arg(column, NUMERICARRAYOID, NUMERICOID, rows));
    return columns;
}

// The statement of one chunk: `sql` over the chunk's arrays; or, with `locate_sql`, first
// that (the chunk's rows found by index probes: its result columns are `sql`'s arrays),
// then `sql` reaching each found row by its address.
std::uint64_t run_chunk(const char *sql, const char *locate_sql, std::vector<SpiArg> args, std::int64_t run_id) {
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
    for (int column = 3; column <= 7; ++column)
        located.push_back(result_column_array_arg(column, NUMERICARRAYOID, NUMERICOID, found));
    located.push_back(result_column_array_arg(8, OIDARRAYOID, OIDOID, found));
    located.push_back(result_column_array_arg(9, TIDARRAYOID, TIDOID, found));
    for (int column = 10; column <= 14; ++column)
        located.push_back(result_column_array_arg(column, NUMERICARRAYOID, NUMERICOID, found));
    located.push_back(int8_arg(run_id));
    spi_free_result();
    std::uint64_t rows = 0;
    with_tid_lookups([&] { rows = spi_execute(sql, located); });
    return rows;
}

void run_chunks_planned(const char *sql, const char *locate_sql, const WriteBatch &batch,
                        const std::vector<std::size_t> &which, std::int64_t run_id, bool audited, std::uint64_t *written,
                        std::vector<std::size_t> &missed) {
    MemoryContext chunk_context = pg_call([]() noexcept {
        return AllocSetContextCreate(CurrentMemoryContext, "usage_archive write chunk", ALLOCSET_DEFAULT_SIZES);
    });
    for (std::size_t from = 0; from < which.size(); from += kChunkRows) {
        check_for_interrupts();
        const std::size_t to = std::min(which.size(), from + kChunkRows);
        MemoryContext caller = MemoryContextSwitchTo(chunk_context);
        const std::uint64_t rows = run_chunk(sql, locate_sql, chunk_args(batch, which, from, to), run_id);
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
        MemoryContextSwitchTo(caller);
        MemoryContextReset(chunk_context);
        *written += rows;
        for (std::size_t k = from; k < to; ++k) {
            const WriteItem &item = batch.items[which[k]];
            if (!done.count(item_key(item.line_id, item.day)))
                missed.push_back(which[k]);
        }
    }
    pg_call([chunk_context]() noexcept { MemoryContextDelete(chunk_context); });
}

// Runs `sql` over `which` a chunk at a time (after `locate_sql`, see run_chunk); the
// statement returns (service_line_id, usage_date) of each row it wrote, and with `audited`
// the old and new values after them. Returns the items it did not write.
std::vector<std::size_t> run_chunks(const char *sql, const char *locate_sql, const WriteBatch &batch,
                                    const std::vector<std::size_t> &which, std::int64_t run_id, bool audited,
                                    std::uint64_t *written) {
    std::vector<std::size_t> missed;
    const std::vector<std::size_t> ordered = in_shard_order(batch, which); // Citus: few shards per chunk
    with_index_lookups([&] { run_chunks_planned(sql, locate_sql, batch, ordered, run_id, audited, written, missed); });
    return missed;
}

// The archived rows of a chunk's keys, each found by an index probe in a LATERAL subquery (its
// OFFSET 0 keeps the planner from flattening it: the keys are always the outer side, whatever
// the statistics say), with the new values and the row's address and old values: the arrays
// of UPDATE_LOCATED_ROWS.
const char *const kLocateRows =
    "SELECT u.id, u.d, u.c, u.p, u.oi, u.s, u.n, r.tableoid, r.ctid, r.consumed_gb, r.priority_gb, "
    "       r.opt_in_priority_gb, r.standard_gb, r.non_billable_gb "
    "FROM unnest($1::int8[], $2::date[], $3::numeric[], $4::numeric[], $5::numeric[], $6::numeric[], "
    "            $7::numeric[]) AS u(id, d, c, p, oi, s, n) "
    "CROSS JOIN LATERAL (SELECT a.tableoid, a.ctid, a.consumed_gb, a.priority_gb, a.opt_in_priority_gb, "
    "                           a.standard_gb, a.non_billable_gb "
    "                    FROM usage_archive.daily_usage_history a "
    "                    WHERE a.service_line_id = u.id AND a.usage_date = u.d OFFSET 0) r";

} // namespace

std::vector<std::size_t> sql_insert(const WriteBatch &batch, const std::vector<std::size_t> &which,
                                    std::int64_t run_id, bool has_rules, std::uint64_t *inserted) {
#define INSERT_ROWS                                                                                                    \
    "INSERT INTO usage_archive.daily_usage_history (service_line_id, usage_date, consumed_gb, priority_gb, "           \
    "opt_in_priority_gb, standard_gb, non_billable_gb, last_run_id) "                                                  \
    "SELECT u.*, $8 FROM unnest($1::int8[], $2::date[], $3::numeric[], $4::numeric[], $5::numeric[], "                \
    "$6::numeric[], $7::numeric[]) AS u "
    static const char *const kSkipConflicts =
        INSERT_ROWS "ON CONFLICT (service_line_id, usage_date) DO NOTHING RETURNING service_line_id, usage_date";
    static const char *const kPlain = INSERT_ROWS "RETURNING service_line_id, usage_date";
#undef INSERT_ROWS
    return run_chunks(has_rules ? kPlain : kSkipConflicts, nullptr, batch, which, run_id, false, inserted);
}

// The rows kLocateRows found, each reached by its address: a ctid is a place in one table,
// so with partitions the row is named by its partition (tableoid) too, and by its key, which
// prunes the scan to that partition. A row another session updated in between has a new
// ctid: it is not updated here, and the next round compares it again.
#define UPDATE_LOCATED_ROWS(extra_set)                                                                                 \
    "UPDATE usage_archive.daily_usage_history h SET consumed_gb = x.c, priority_gb = x.p, "                            \
    "    opt_in_priority_gb = x.oi, standard_gb = x.s, non_billable_gb = x.n, " extra_set "last_run_id = $15 "        \
    "FROM unnest($1::int8[], $2::date[], $3::numeric[], $4::numeric[], $5::numeric[], $6::numeric[], $7::numeric[], " \
    "            $8::oid[], $9::tid[], $10::numeric[], $11::numeric[], $12::numeric[], $13::numeric[], "              \
    "            $14::numeric[]) AS x(id, d, c, p, oi, s, n, rel, tid, old_c, old_p, old_oi, old_s, old_n) "          \
    "WHERE h.ctid = x.tid AND h.tableoid = x.rel AND h.service_line_id = x.id AND h.usage_date = x.d "

std::vector<std::size_t> sql_overwrite_own_rows(const WriteBatch &batch, const std::vector<std::size_t> &which,
                                                std::int64_t run_id, std::uint64_t *written) {
    return run_chunks(UPDATE_LOCATED_ROWS("") "RETURNING h.service_line_id, h.usage_date", kLocateRows, batch, which,
                      run_id, false, written);
}

std::vector<std::size_t> sql_update(const WriteBatch &batch, const std::vector<std::size_t> &which,
                                    std::int64_t run_id, std::uint64_t *updated) {
    // The rows are found first (kLocateRows), then updated by address; their values before
    // the update are the audit row's old values (record_corrections).
    return run_chunks(UPDATE_LOCATED_ROWS("updated_at = pg_catalog.now(), ")
                      "RETURNING h.service_line_id, h.usage_date, x.old_c, h.consumed_gb, x.old_p, h.priority_gb, "
                      "    x.old_oi, h.opt_in_priority_gb, x.old_s, h.standard_gb, x.old_n, h.non_billable_gb",
                      kLocateRows, batch, which, run_id, true, updated);
}

#undef UPDATE_LOCATED_ROWS

} // namespace usage_archive::pg
