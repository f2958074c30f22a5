#include "usage_diff.hpp"

#include "numeric_milli.hpp"
#include "sql_arrays.hpp"

#include <algorithm>

extern "C" {
#include "utils/date.h"
}

namespace usage_archive::pg {

std::ptrdiff_t WriteBatch::find(std::int64_t line_id, std::int32_t day) const {
    const std::uint64_t key = item_key(line_id, day);
    auto it = std::lower_bound(keys.begin(), keys.end(), key);
    return it != keys.end() && *it == key ? it - keys.begin() : -1;
}

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

DiffOutcome diff_against_archive(WriteBatch &batch, const std::vector<std::size_t> &which, core::MilliGb tolerance) {
    DiffOutcome out;
    if (which.empty())
        return out;
    std::vector<std::int64_t> line_ids;
    std::int32_t first_day = batch.items[which.front()].day, last_day = first_day;
    for (std::size_t i : which) {
        WriteItem &item = batch.items[i];
        item.state = ItemState::fresh;
        if (line_ids.empty() || line_ids.back() != item.line_id)
            line_ids.push_back(item.line_id);
        first_day = std::min(first_day, item.day);
        last_day = std::max(last_day, item.day);
    }
    line_ids.erase(std::unique(line_ids.begin(), line_ids.end()), line_ids.end());

    SpiArg ids = int8_array_arg(line_ids);
    const std::vector<SpiArg> args = {ids, SpiArg{DATEOID, DateADTGetDatum(first_day)},
                                      SpiArg{DATEOID, DateADTGetDatum(last_day)}};
    spi_for_each_batch("SELECT service_line_id, usage_date, consumed_gb, priority_gb, opt_in_priority_gb, standard_gb, "
                       "non_billable_gb FROM usage_archive.daily_usage_history "
                       "WHERE service_line_id = ANY($1) AND usage_date BETWEEN $2 AND $3",
                       args, kFetchRows, [&](std::uint64_t rows) {
                           for (std::uint64_t r = 0; r < rows; ++r) {
                               bool is_null;
                               const std::int64_t line_id = DatumGetInt64(spi_datum(r, 1, &is_null));
                               const std::int32_t day = DatumGetDateADT(spi_datum(r, 2, &is_null));
                               const std::ptrdiff_t at = batch.find(line_id, day);
                               if (at < 0 || batch.items[at].state != ItemState::fresh)
                                   continue; // a row of the range that this run does not carry
                               core::StoredUsage stored;
                               stored.consumed = column_milli(r, 3).value_or(-1);
                               stored.priority = column_milli(r, 4);
                               stored.opt_in_priority = column_milli(r, 5);
                               stored.standard = column_milli(r, 6);
                               stored.non_billable = column_milli(r, 7);
                               batch.items[at].state = core::usage_differs(stored, *batch.items[at].record, tolerance)
                                                           ? ItemState::changed
                                                           : ItemState::unchanged;
                           }
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
