#include "usage_diff.hpp"

#include "numeric_milli.hpp"
#include "sql_arrays.hpp"

#include "core/history_sql.hpp"
#include "core/tolerance.hpp"

#include <algorithm>

extern "C" {
#include "utils/date.h"
}

namespace usage_archive::pg {

namespace {

// Rows fetched per round trip from the cursor: enough to amortise the call, small enough
// that the fetched tuples stay in cache-sized memory.
constexpr long kFetchRows = 8192;

std::optional<core::MilliGb> column_milli(std::uint64_t row, int column) {
    bool is_null;
    Datum d = spi_datum(row, column, &is_null);
    if (is_null)
        return std::nullopt;
    core::MilliGb v;
    if (!numeric_to_milli(d, &v))
        return core::MilliGb{-1}; // NaN in a legacy row: differs from anything we would write
    return v;
}

} // namespace

std::vector<SpiArg> ArchivedRange::args() const {
    return {int8_array_arg(line_ids), SpiArg{DATEOID, DateADTGetDatum(first_day)}, SpiArg{DATEOID, DateADTGetDatum(last_day)}};
}

ArchivedRange archived_range(const WriteBatch &batch, const std::vector<std::size_t> &which) {
    ArchivedRange range{{}, batch.items[which.front()].day, batch.items[which.front()].day};
    for (std::size_t i : which) {
        const WriteItem &item = batch.items[i];
        if (range.line_ids.empty() || range.line_ids.back() != item.line_id)
            range.line_ids.push_back(item.line_id);
        range.first_day = std::min(range.first_day, item.day);
        range.last_day = std::max(range.last_day, item.day);
    }
    range.line_ids.erase(std::unique(range.line_ids.begin(), range.line_ids.end()), range.line_ids.end());
    return range;
}

std::uint64_t row_version(std::uint64_t row, int column) {
    bool is_null;
    const ItemPointer tid = reinterpret_cast<ItemPointer>(DatumGetPointer(spi_datum(row, column, &is_null)));
    // Offsets start at 1, so no version is kNoRow; block numbers are 32-bit, so none is kNotCompared.
    return static_cast<std::uint64_t>(ItemPointerGetBlockNumberNoCheck(tid)) << 16 | ItemPointerGetOffsetNumberNoCheck(tid);
}

DiffOutcome diff_against_archive(WriteBatch &batch, const std::vector<std::size_t> &which, core::MilliGb tolerance) {
    DiffOutcome out;
    if (which.empty())
        return out;
    for (std::size_t i : which)
        batch.items[i].state = ItemState::fresh;
    const bool keep_versions = IsolationUsesXactSnapshot();
    if (keep_versions) {
        out.compared_versions.assign(batch.items.size(), kNotCompared);
        for (std::size_t i : which)
            out.compared_versions[i] = kNoRow;
    }
    // An index range scan whatever the statistics say, and no JIT: compiling this statement
    // for each chunk of a large run cost more than running it.
    with_index_lookups([&] {
        static const std::string kSelect = core::history_range_select_sql(false);
        static const std::string kSelectWithVersions = core::history_range_select_sql(true);
        constexpr int kFirstValue = 3, kVersion = kFirstValue + static_cast<int>(core::kHistoryValueCount);
        spi_for_each_batch((keep_versions ? kSelectWithVersions : kSelect).c_str(),
                           archived_range(batch, which).args(), kFetchRows, [&](std::uint64_t rows) {
                               for (std::uint64_t r = 0; r < rows; ++r) {
                                   bool is_null;
                                   const std::int64_t line_id = DatumGetInt64(spi_datum(r, 1, &is_null));
                                   const std::int32_t day = DatumGetDateADT(spi_datum(r, 2, &is_null));
                                   const std::ptrdiff_t at = batch.find(line_id, day);
                                   if (at < 0 || batch.items[at].state != ItemState::fresh)
                                       continue; // a row of the range that this run does not carry
                                   core::StoredUsage stored;
                                   for (std::size_t c = 0; c < core::kHistoryValueCount; ++c)
                                       stored[c] = column_milli(r, kFirstValue + static_cast<int>(c));
                                   batch.items[at].state = core::usage_differs(stored, *batch.items[at].record, tolerance)
                                                               ? ItemState::changed
                                                               : ItemState::unchanged;
                                   if (keep_versions)
                                       out.compared_versions[at] = row_version(r, kVersion);
                               }
                           });
    });
    // Items not in the selection keep their state from earlier rounds; classify ours.
    for (std::size_t i : which) {
        switch (batch.items[i].state) {
        case ItemState::fresh:
            out.fresh.push_back(i);
            break;
        case ItemState::changed:
            out.changed.push_back(i);
            break;
        case ItemState::unchanged:
            ++out.unchanged;
            break;
        }
    }
    return out;
}

} // namespace usage_archive::pg
