#include "shard_order.hpp"

#include "citus_node.hpp"
#include "pg_prelude.hpp"

#include <algorithm>

extern "C" {
#include "common/hashfn.h"
}

namespace usage_archive::pg {

std::int32_t citus_hash_of(std::int64_t line_id) {
    // hashint8: the high half folded into the low one so that equal values of int2, int4 and
    // int8 hash alike, then hash_uint32 (which never raises).
    const std::uint64_t v = static_cast<std::uint64_t>(line_id);
    std::uint32_t lohalf = static_cast<std::uint32_t>(v);
    const std::uint32_t hihalf = static_cast<std::uint32_t>(v >> 32);
    lohalf ^= line_id >= 0 ? hihalf : ~hihalf;
    return static_cast<std::int32_t>(DatumGetUInt32(hash_uint32(lohalf)));
}

std::vector<std::size_t> in_shard_order(const WriteBatch &batch, const std::vector<std::size_t> &which) {
    if (which.size() < 2 || !citus_installed())
        return which;
    struct Keyed {
        std::int32_t hash;
        std::size_t index;
    };
    std::vector<Keyed> keyed;
    keyed.reserve(which.size());
    for (std::size_t i : which)
        keyed.push_back(Keyed{citus_hash_of(batch.items[i].line_id), i});
    // Items are in key order already, so a stable sort by hash keeps (line, day) within a hash.
    std::stable_sort(keyed.begin(), keyed.end(), [](const Keyed &a, const Keyed &b) { return a.hash < b.hash; });
    std::vector<std::size_t> ordered;
    ordered.reserve(keyed.size());
    for (const Keyed &k : keyed)
        ordered.push_back(k.index);
    return ordered;
}

} // namespace usage_archive::pg
