// Writes an archive run a chunk at a time, as its payload is parsed: a 10,000,000-record run
// holds one chunk of records, not ten million. The counters and the rows it leaves are those
// of writing the whole payload at once:
// - a day repeated in a later chunk collapses like one repeated within a chunk (the later
//   record wins and the day counts once), through the run's RunKeyLedger;
// - changed rows are updated only at the end of the run (finish()), so that a later record of
//   the same day can still cancel the change: an identical re-run writes nothing even when the
//   payload repeats a day with two values;
// - new rows are inserted as their chunk arrives; a later record of such a day overwrites the
//   row this run inserted (rare: the API lists each line once).
// Everything happens in the caller's transaction: a failure in any chunk fails the run, and
// nothing of it stays.
#pragma once

#include "batch_writer.hpp"
#include "copy_insert.hpp"
#include "run_key_ledger.hpp"
#include "run_log.hpp"
#include "run_phases.hpp"
#include "source_config.hpp"
#include "write_batch.hpp"

#include "core/usage_record.hpp"

#include <cstdint>
#include <unordered_map>
#include <vector>

namespace usage_archive::pg {

class ChunkWriter {
  public:
    ChunkWriter(const SourceConfig &source, std::int64_t run_id, RunCounters &counters, RunPhases &timer);

    // Writes a chunk's records and billing cycles; `lines` are the run's lines so far (the
    // chunk's records and cycles index them). Counts the chunk's records in counters.records.
    void write(core::ParsedChunk &chunk, const std::vector<core::ServiceLineInfo> &lines);

    // Updates the changed rows of the whole run. Once, after the last chunk.
    void finish();

  private:
    struct DeferredChange {
        std::int64_t line_id;
        core::UsageRecord record;
    };

    void resolve_new_lines(const std::vector<core::ServiceLineInfo> &lines);
    void overwrite_own_rows(std::vector<WriteItem> repeats, std::vector<WriteItem> &normal);
    void defer(const WriteItem &item);

    const SourceConfig &source_;
    std::int64_t run_id_;
    RunCounters &counters_;
    RunPhases &timer_;
    HistoryTableTraits table_;
    std::vector<std::int64_t> line_ids_; // by payload line index; 0: not archived
    RunKeyLedger ledger_;
    std::vector<DeferredChange> deferred_;
    std::unordered_map<ItemKey, std::size_t, ItemKeyHash> deferred_at_;
};

// Items keyed and sorted like the primary key, as the diff and the writers want them.
WriteBatch make_batch(std::vector<WriteItem> items);

} // namespace usage_archive::pg
