// The order in which the SQL write path sends rows when the history may be distributed by
// Citus: by the hash Citus places a service_line_id with, so that each statement's chunk of
// rows covers a narrow slice of the hash range, and so a few shards, instead of every shard.
#pragma once

#include "write_batch.hpp"

#include <vector>

namespace usage_archive::pg {

// `which` unchanged without Citus; with it, ordered by (Citus's hash of the line id, line,
// day). Ordering is the caller's business after the write: it re-sorts what it retries.
std::vector<std::size_t> in_shard_order(const WriteBatch &batch, const std::vector<std::size_t> &which);

// The hash a hash-distributed bigint column is placed by: PostgreSQL's hashint8, the bigint
// type's default hash function, which Citus's shard ranges divide.
std::int32_t citus_hash_of(std::int64_t line_id);

} // namespace usage_archive::pg
