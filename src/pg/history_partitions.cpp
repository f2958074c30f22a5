#include "history_partitions.hpp"

#include "owner_rights.hpp"
#include "spi_support.hpp"
#include "sql_arrays.hpp"
#include "worker_support.hpp"

#include <algorithm>

namespace usage_archive::pg {

void prepare_history_partitions(const WriteBatch &batch) {
    std::vector<std::int32_t> days;
    for (const WriteItem &item : batch.items)
        days.push_back(item.day);
    std::sort(days.begin(), days.end());
    days.erase(std::unique(days.begin(), days.end()), days.end());
    if (days.empty())
        return;
    with_owner_rights("usage_archive", "daily_usage_history", [&] {
        spi_execute("SELECT usage_archive_private.ensure_history_partitions($1)", {date_array_arg(days)});
        spi_free_result();
    });
}

void premake_history_partitions() {
    in_worker_transaction("creating the partitions of the next periods (partition_history's premake)", [] {
        spi_execute("SELECT usage_archive_private.premake_history_partitions()", {});
        spi_free_result();
    });
}

} // namespace usage_archive::pg
