// The survivors of a run whose service line is known, keyed by (service_line_id, day) the
// way daily_usage_history is, and what the diff decided for each.
#pragma once

#include "core/tolerance.hpp"
#include "core/usage_record.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
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

// The primary key of daily_usage_history, (service_line_id, usage_date), in its order. A
// pair rather than one packed integer: the identity column accepts any bigint id (explicit
// ids too) and a packed key would let two keys collide and miscount or skip a write.
struct ItemKey {
    std::int64_t line_id;
    std::int32_t day;

    friend bool operator<(const ItemKey &a, const ItemKey &b) {
        return a.line_id != b.line_id ? a.line_id < b.line_id : a.day < b.day;
    }
    friend bool operator==(const ItemKey &a, const ItemKey &b) { return a.line_id == b.line_id && a.day == b.day; }
};

struct ItemKeyHash {
    std::size_t operator()(const ItemKey &k) const noexcept {
        // Fibonacci hashing of the id spreads consecutive ids; the day is mixed in whole.
        return std::hash<std::uint64_t>{}((static_cast<std::uint64_t>(k.line_id) * 0x9E3779B97F4A7C15ull) ^
                                          static_cast<std::uint32_t>(k.day));
    }
};

inline ItemKey item_key(std::int64_t line_id, std::int32_t day) { return ItemKey{line_id, day}; }

struct WriteBatch {
    std::vector<WriteItem> items; // sorted by item_key
    std::vector<ItemKey> keys;

    // Index of the item with this key, or -1.
    std::ptrdiff_t find(std::int64_t line_id, std::int32_t day) const;
};

} // namespace usage_archive::pg
