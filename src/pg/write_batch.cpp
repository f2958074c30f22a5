#include "write_batch.hpp"

#include <algorithm>

namespace usage_archive::pg {

std::ptrdiff_t WriteBatch::find(std::int64_t line_id, std::int32_t day) const {
    const ItemKey key = item_key(line_id, day);
    auto it = std::lower_bound(keys.begin(), keys.end(), key);
    return it != keys.end() && *it == key ? it - keys.begin() : -1;
}

} // namespace usage_archive::pg
