#include "run_key_ledger.hpp"

namespace usage_archive::pg {
namespace {

// Past this span of days a line's ledger is a map: ten years of days cost 3.6 kB dense.
constexpr std::int64_t kMaxDenseSpan = 3660;

} // namespace

KeyOutcome RunKeyLedger::get(std::uint32_t line, std::int32_t day) const {
    if (line >= lines_.size())
        return KeyOutcome::none;
    const LineDays &l = lines_[line];
    if (l.is_sparse) {
        auto it = l.sparse.find(day);
        return it == l.sparse.end() ? KeyOutcome::none : it->second;
    }
    const std::int64_t at = static_cast<std::int64_t>(day) - l.first_day;
    if (l.dense.empty() || at < 0 || at >= static_cast<std::int64_t>(l.dense.size()))
        return KeyOutcome::none;
    return l.dense[static_cast<std::size_t>(at)];
}

void RunKeyLedger::set(std::uint32_t line, std::int32_t day, KeyOutcome outcome) {
    if (line >= lines_.size())
        lines_.resize(static_cast<std::size_t>(line) + 1);
    LineDays &l = lines_[line];
    if (!l.is_sparse && l.dense.empty()) {
        l.first_day = day;
        l.dense.push_back(outcome);
        return;
    }
    if (!l.is_sparse) {
        const std::int64_t first = std::min<std::int64_t>(l.first_day, day);
        const std::int64_t last = std::max<std::int64_t>(l.first_day + static_cast<std::int64_t>(l.dense.size()) - 1, day);
        if (last - first + 1 > kMaxDenseSpan) {
            for (std::size_t i = 0; i < l.dense.size(); ++i)
                if (l.dense[i] != KeyOutcome::none)
                    l.sparse.emplace(l.first_day + static_cast<std::int32_t>(i), l.dense[i]);
            l.dense = {};
            l.is_sparse = true;
        } else {
            if (day < l.first_day) {
                l.dense.insert(l.dense.begin(), static_cast<std::size_t>(l.first_day - day), KeyOutcome::none);
                l.first_day = day;
            } else if (day - l.first_day >= static_cast<std::int64_t>(l.dense.size())) {
                l.dense.resize(static_cast<std::size_t>(day - l.first_day) + 1, KeyOutcome::none);
            }
            l.dense[static_cast<std::size_t>(day - l.first_day)] = outcome;
            return;
        }
    }
    l.sparse[day] = outcome;
}

} // namespace usage_archive::pg
