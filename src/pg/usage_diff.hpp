// Compares a batch against what is archived, with one streamed read of the archived rows in
// the batch's lines and date range (no per-row lookups through the executor).
#pragma once

#include "spi_support.hpp"
#include "write_batch.hpp"

#include <cstddef>
#include <vector>

namespace usage_archive::pg {

// The archived rows a set of items can touch: their lines, from their first to last day.
struct ArchivedRange {
    std::vector<std::int64_t> line_ids;
    std::int32_t first_day;
    std::int32_t last_day;

    // $1 line ids, $2 first day, $3 last day, for "service_line_id = ANY($1) AND usage_date
    // BETWEEN $2 AND $3".
    std::vector<SpiArg> args() const;
};
ArchivedRange archived_range(const WriteBatch &batch, const std::vector<std::size_t> &which);

// A row version (its ctid, block and offset packed) for comparing what two snapshots see.
constexpr std::uint64_t kNoRow = 0;          // compared, and no archived row was there
constexpr std::uint64_t kNotCompared = ~0ull; // not among the items of this diff

// The version of the row in `row` of SPI_tuptable, from its ctid column `column`.
std::uint64_t row_version(std::uint64_t row, int column);

struct DiffOutcome {
    std::vector<std::size_t> fresh;   // item indexes to insert
    std::vector<std::size_t> changed; // item indexes to update
    std::size_t unchanged = 0;
    // Filled only when the transaction keeps one snapshot (REPEATABLE READ, SERIALIZABLE):
    // by item index, the version of the archived row the item was compared against. Such a
    // snapshot may predate rows another session committed while this run waited for its
    // source's lock; require_compared_rows_current() checks for them.
    std::vector<std::uint64_t> compared_versions;
};

// Classifies the items at `which` (indexes into batch.items) and sets their state.
DiffOutcome diff_against_archive(WriteBatch &batch, const std::vector<std::size_t> &which, core::MilliGb tolerance);

} // namespace usage_archive::pg
