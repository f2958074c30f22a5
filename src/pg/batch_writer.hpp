// Writes one batch of survivors: diffs them against the archive, inserts the new rows (COPY
// where it may, else SQL), updates the changed ones, and retries the rows a concurrent writer
// touched in between (40001 after four rounds).
#pragma once

#include "copy_insert.hpp"
#include "run_log.hpp"
#include "run_phases.hpp"
#include "source_config.hpp"
#include "write_batch.hpp"

#include <cstdint>
#include <vector>

namespace usage_archive::pg {

// How each item of a batch ended.
enum class ItemOutcome : std::uint8_t { pending, inserted, unchanged, updated, deferred, skipped };

struct BatchWrite {
    const SourceConfig &source;
    std::int64_t run_id;
    const HistoryTableTraits &table;
    RunCounters &counters;
    RunPhases &timer;
    // When set, changed items are not updated: their indexes go here, uncounted (a streaming
    // run updates them at its end, once no later chunk can bring the same day again).
    std::vector<std::size_t> *defer_changed = nullptr;
};

// Writes `batch` and counts inserted, updated, unchanged and skipped items; returns each
// item's outcome (by item index).
std::vector<ItemOutcome> write_batch(WriteBatch &batch, const BatchWrite &how);

} // namespace usage_archive::pg
