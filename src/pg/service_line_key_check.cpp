#include "service_line_key_check.hpp"

#include "owner_rights.hpp"
#include "sql_arrays.hpp"

#include <algorithm>

namespace usage_archive::pg {

// The foreign key check of the whole batch: every parent row locked FOR KEY SHARE until the
// transaction ends (so no one can delete it), and all of them present.
void lock_batch_service_lines(const WriteBatch &batch, const std::vector<std::size_t> &which) {
    std::vector<std::int64_t> ids;
    for (std::size_t i : which)
        if (ids.empty() || ids.back() != batch.items[i].line_id)
            ids.push_back(batch.items[i].line_id);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    std::uint64_t found = 0;
    // As the per-row check would: with the owner's rights, whatever the caller may update.
    with_owner_rights("usage_archive", "service_lines", [&] {
        found = spi_execute("SELECT service_line_id FROM usage_archive.service_lines "
                            "WHERE service_line_id OPERATOR(pg_catalog.=) ANY ($1) FOR KEY SHARE",
                            {int8_array_arg(ids)});
        spi_free_result();
    });
    if (found != ids.size())
        throw SqlError(ERRCODE_FOREIGN_KEY_VIOLATION,
                       "insert on table \"daily_usage_history\" violates foreign key constraint "
                       "\"daily_usage_history_service_line_id_fkey\"",
                       std::to_string(ids.size() - found) + " service line(s) of the batch are missing from service_lines");
}

} // namespace usage_archive::pg
