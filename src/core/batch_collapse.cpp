#include "batch_collapse.hpp"

#include <algorithm>

namespace usage_archive::core {

std::size_t collapse_duplicates(std::vector<UsageRecord> &records) {
    // Ordinals are unique, so this order is total and the survivor is the last of its key.
    std::sort(records.begin(), records.end(), [](const UsageRecord &a, const UsageRecord &b) {
        if (a.line != b.line)
            return a.line < b.line;
        if (a.day != b.day)
            return a.day < b.day;
        return a.ordinal < b.ordinal;
    });
    std::size_t kept = 0;
    for (std::size_t i = 0; i < records.size(); ++i) {
        const bool last_of_key =
            i + 1 == records.size() || records[i + 1].line != records[i].line || records[i + 1].day != records[i].day;
        if (last_of_key)
            records[kept++] = records[i];
    }
    const std::size_t collapsed = records.size() - kept;
    records.resize(kept);
    return collapsed;
}

} // namespace usage_archive::core
