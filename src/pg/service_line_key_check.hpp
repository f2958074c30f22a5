// The foreign key of daily_usage_history to service_lines, checked for a whole batch in one
// statement instead of by its per-row triggers (docs/design-notes.md, "The foreign key,
// checked per batch").
#pragma once

#include "write_batch.hpp"

#include <cstddef>
#include <vector>

namespace usage_archive::pg {

// Locks the service lines of the items at `which` FOR KEY SHARE until the transaction ends,
// with service_lines' owner's rights as the per-row check would, and raises the foreign-key
// violation (23503) if any of them is missing: the guarantee the per-row triggers give.
void lock_batch_service_lines(const WriteBatch &batch, const std::vector<std::size_t> &which);

} // namespace usage_archive::pg
