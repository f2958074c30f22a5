// The survivors of a run whose service line is known, keyed by (service_line_id, day) the
// way daily_usage_history is, and what the diff decided for each.
#pragma once

#include "core/tolerance.hpp"
#include "core/usage_record.hpp"

#include <cstdint>
#include <vector>

namespace usage_archive::pg {

enum class ItemState : std::uint8_t {
    fresh,     // no archived row: to insert
    unchanged, // archived row within tolerance: nothing to write
    changed,   // archived row differs: to update and audit
};

struct WriteItem {
    std::int64_t line_id;
    std::int32_t day;
    ItemState state;
    const core::UsageRecord *record;
};

// Sort key matching the primary key's order; days since 2000 stay below 2^17 for the
// supported years, line ids below 2^40.
inline std::uint64_t item_key(std::int64_t line_id, std::int32_t day) {
    return (static_cast<std::uint64_t>(line_id) << 20) | static_cast<std::uint32_t>(day);
}

struct WriteBatch {
    std::vector<WriteItem> items; // sorted by item_key
    std::vector<std::uint64_t> keys;

    // Index of the item with this key, or -1.
    std::ptrdiff_t find(std::int64_t line_id, std::int32_t day) const;
};

} // namespace usage_archive::pg
