#include "compared_rows_check.hpp"

extern "C" {
#include "utils/date.h"
}

namespace usage_archive::pg {

void require_compared_rows_current(const WriteBatch &batch, const std::vector<std::size_t> &which,
                                   const DiffOutcome &diff, const std::string &source) {
    const std::vector<std::uint64_t> &compared = diff.compared_versions;
    std::size_t expected = 0; // rows the diff saw
    for (std::size_t i : which)
        expected += compared[i] != kNoRow;
    std::size_t still_there = 0, outdated = 0;
    spi_for_each_batch(
        "SELECT service_line_id, usage_date, ctid FROM usage_archive.daily_usage_history "
        "WHERE service_line_id = ANY($1) AND usage_date BETWEEN $2 AND $3",
        archived_range(batch, which).args(), 8192,
        [&](std::uint64_t rows) {
            for (std::uint64_t r = 0; r < rows; ++r) {
                bool is_null;
                const std::ptrdiff_t at = batch.find(DatumGetInt64(spi_datum(r, 1, &is_null)),
                                                     DatumGetDateADT(spi_datum(r, 2, &is_null)));
                if (at < 0 || compared[at] == kNotCompared)
                    continue;
                if (compared[at] == row_version(r, 3))
                    ++still_there;
                else
                    ++outdated; // updated since, or inserted where the diff saw no row
            }
        },
        CursorSnapshot::latest);
    // still_there < expected: a row compared against was deleted since.
    if (outdated == 0 && still_there == expected)
        return;
    throw SqlError(ERRCODE_T_R_SERIALIZATION_FAILURE, "could not serialize access due to concurrent update",
                   "The archive run of source \"" + source + "\" compared the payload with archived rows that a "
                   "transaction committed after this transaction's snapshot has changed; it would have reported "
                   "them unchanged.",
                   "Retry the transaction (or archive in READ COMMITTED, where each run sees the latest rows).");
}

} // namespace usage_archive::pg
