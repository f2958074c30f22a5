#include "sql_write.hpp"

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

void run_chunks_planned(const char *sql, const WriteBatch &batch, const std::vector<std::size_t> &which,
                        std::int64_t run_id, bool audited, std::uint64_t *written, std::vector<std::size_t> &missed) {
    MemoryContext chunk_context = pg_call([]() noexcept {
        return AllocSetContextCreate(CurrentMemoryContext, "usage_archive write chunk", ALLOCSET_DEFAULT_SIZES);
    });
    for (std::size_t from = 0; from < which.size(); from += kChunkRows) {
        check_for_interrupts();
        const std::size_t to = std::min(which.size(), from + kChunkRows);
        MemoryContext caller = MemoryContextSwitchTo(chunk_context);
        std::vector<SpiArg> args = chunk_args(batch, which, from, to);
        args.push_back(int8_arg(run_id));
        const std::uint64_t rows = spi_execute(sql, args);
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

// Runs `sql` over `which` a chunk at a time; the statement returns (service_line_id,
// usage_date) of each row it wrote, and with `audited` the old and new values after them.
// Returns the items it did not write.
std::vector<std::size_t> run_chunks(const char *sql, const WriteBatch &batch, const std::vector<std::size_t> &which,
                                    std::int64_t run_id, bool audited, std::uint64_t *written) {
    std::vector<std::size_t> missed;
    const std::vector<std::size_t> ordered = in_shard_order(batch, which); // Citus: few shards per chunk
    with_index_lookups([&] { run_chunks_planned(sql, batch, ordered, run_id, audited, written, missed); });
    return missed;
}

} // namespace

std::vector<std::size_t> sql_insert(const WriteBatch &batch, const std::vector<std::size_t> &which,
                                    std::int64_t run_id, bool has_rules, std::uint64_t *inserted) {
    static const std::string kSkipConflicts = core::history_insert_sql(true);
    static const std::string kPlain = core::history_insert_sql(false);
    return run_chunks(has_rules ? kPlain.c_str() : kSkipConflicts.c_str(), batch, which, run_id, false, inserted);
}

std::vector<std::size_t> sql_overwrite_own_rows(const WriteBatch &batch, const std::vector<std::size_t> &which,
                                                std::int64_t run_id, std::uint64_t *written) {
    // Found as sql_update finds them, without the audit.
    static const std::string sql = core::history_update_sql(false);
    return run_chunks(sql.c_str(), batch, which, run_id, false, written);
}

std::vector<std::size_t> sql_update(const WriteBatch &batch, const std::vector<std::size_t> &which,
                                    std::int64_t run_id, std::uint64_t *updated) {
    // Each key is looked up in a LATERAL subquery (its OFFSET 0 keeps the planner from
    // flattening it): the keys are always the outer side and each lookup an index probe,
    // whatever the statistics say (right after a large load they can describe a few lines,
    // and a nested loop over the whole table with the keys rescanned inside took minutes).
    // The rows found are then updated by ctid; their values before the update are the audit
    // row's old values (record_corrections). A row another session updates in between has a
    // new ctid: it is not updated here, and the next round compares it again. A ctid is a
    // place in one table: with partitions, the row is named by its partition (tableoid) too,
    // and by its key, which prunes the update's scan to that partition.
    static const std::string sql = core::history_update_sql(true);
    return run_chunks(sql.c_str(), batch, which, run_id, true, updated);
}

} // namespace usage_archive::pg
