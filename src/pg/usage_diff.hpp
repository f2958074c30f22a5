// Compares a batch against what is archived, with one streamed read of the archived rows in
// the batch's lines and date range (no per-row lookups through the executor).
#pragma once

#include "write_batch.hpp"

#include <cstddef>
#include <vector>

namespace usage_archive::pg {

struct DiffOutcome {
    std::vector<std::size_t> fresh;   // item indexes to insert
    std::vector<std::size_t> changed; // item indexes to update
    std::size_t unchanged = 0;
};

// Classifies the items at `which` (indexes into batch.items) and sets their state.
DiffOutcome diff_against_archive(WriteBatch &batch, const std::vector<std::size_t> &which, core::MilliGb tolerance);

} // namespace usage_archive::pg
