#include "batch_collapse.hpp"

#include <algorithm>

namespace usage_archive::core {

namespace {

// Records per sorted run: sorting one takes a few tens of milliseconds.
constexpr std::size_t kRun = 1 << 18;

bool by_key(const UsageRecord &a, const UsageRecord &b) {
    if (a.line != b.line)
        return a.line < b.line;
    if (a.day != b.day)
        return a.day < b.day;
    return a.ordinal < b.ordinal;
}

// A bottom-up merge sort with the progress hook between its steps: one std::sort of 8
// million records (a 1 GB payload) ran over a second with no way to cancel it. Payloads
// usually list their days in order, so a sorted input is recognised in one pass first.
void sort_records(std::vector<UsageRecord> &records, void (*progress)()) {
    const auto begin = records.begin();
    const std::size_t n = records.size();
    bool sorted = true;
    for (std::size_t from = 0; from < n && sorted; from += kRun) {
        const std::size_t to = std::min(n, from + kRun + 1); // overlapping by one: the seam too
        sorted = std::is_sorted(begin + from, begin + to, by_key);
        if (progress)
            progress();
    }
    if (sorted)
        return;
    for (std::size_t from = 0; from < n; from += kRun) {
        std::sort(begin + from, begin + std::min(n, from + kRun), by_key);
        if (progress)
            progress();
    }
    for (std::size_t width = kRun; width < n; width *= 2) {
        // std::inplace_merge borrows a buffer of up to half the records: less than the
        // payload text, already freed by now, took at the parse.
        for (std::size_t from = 0; from + width < n; from += 2 * width) {
            std::inplace_merge(begin + from, begin + from + width, begin + std::min(n, from + 2 * width), by_key);
            if (progress)
                progress();
        }
    }
}

} // namespace

std::size_t collapse_duplicates(std::vector<UsageRecord> &records, void (*progress)()) {
    // Ordinals are unique, so this order is total and the survivor is the last of its key.
    sort_records(records, progress);
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
