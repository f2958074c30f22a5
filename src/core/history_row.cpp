#include "history_row.hpp"

namespace usage_archive::core {

StoredUsage stored_form(const UsageRecord &record) {
    StoredUsage stored;
    for (std::size_t i = 0; i < kHistoryValueCount; ++i) {
        const HistoryValueColumn &column = kHistoryValueColumns[i];
        if (!column.from_breakdown || record.has_breakdown)
            stored[i] = record.*column.field;
    }
    return stored;
}

} // namespace usage_archive::core
