#include "chunk_writer.hpp"

#include "billing_cycle_writer.hpp"
#include "error_bridge.hpp"
#include "history_partitions.hpp"
#include "service_line_registry.hpp"
#include "settings.hpp"
#include "sql_write.hpp"
#include "usage_diff.hpp"

#include "core/batch_collapse.hpp"

#include <algorithm>

namespace usage_archive::pg {
namespace {

KeyOutcome ledger_outcome(ItemOutcome outcome) {
    switch (outcome) {
    case ItemOutcome::inserted:
        return KeyOutcome::inserted;
    case ItemOutcome::unchanged:
        return KeyOutcome::unchanged;
    case ItemOutcome::deferred:
        return KeyOutcome::deferred;
    case ItemOutcome::skipped:
        return KeyOutcome::skipped;
    case ItemOutcome::updated: // not in a deferring write
    case ItemOutcome::pending:
        break;
    }
    throw SqlError(ERRCODE_INTERNAL_ERROR, "usage_archive: a chunk's write left an item without an outcome");
}

} // namespace

WriteBatch make_batch(std::vector<WriteItem> items) {
    WriteBatch batch;
    batch.items = std::move(items);
    auto by_key = [](const WriteItem &a, const WriteItem &b) { return item_key(a.line_id, a.day) < item_key(b.line_id, b.day); };
    // New lines get ids in payload order, so this is usually sorted already.
    if (!std::is_sorted(batch.items.begin(), batch.items.end(), by_key))
        std::sort(batch.items.begin(), batch.items.end(), by_key);
    batch.keys.reserve(batch.items.size());
    for (const WriteItem &item : batch.items)
        batch.keys.push_back(item_key(item.line_id, item.day));
    return batch;
}

ChunkWriter::ChunkWriter(const SourceConfig &source, std::int64_t run_id, RunCounters &counters, RunPhases &timer)
    : source_(source), run_id_(run_id), counters_(counters), timer_(timer), table_(inspect_history_table()) {}

void ChunkWriter::resolve_new_lines(const std::vector<core::ServiceLineInfo> &lines) {
    if (lines.size() <= line_ids_.size())
        return;
    timer_.start("lines");
    const std::vector<core::ServiceLineInfo> fresh(lines.begin() + static_cast<std::ptrdiff_t>(line_ids_.size()),
                                                   lines.end());
    const std::vector<std::int64_t> ids = resolve_service_lines(source_, fresh);
    line_ids_.insert(line_ids_.end(), ids.begin(), ids.end());
}

void ChunkWriter::defer(const WriteItem &item) {
    deferred_at_[item_key(item.line_id, item.day)] = deferred_.size();
    deferred_.push_back(DeferredChange{item.line_id, *item.record});
}

// Days this run inserted in an earlier chunk, and a later record of each: the archive holds
// the earlier record. A row within tolerance of the later one stays; a differing one takes
// the later values; a missing one (a trigger of the user's suppressed the insert, which then
// counted as skipped) is an ordinary new day again.
void ChunkWriter::overwrite_own_rows(std::vector<WriteItem> repeats, std::vector<WriteItem> &normal) {
    if (repeats.empty())
        return;
    WriteBatch batch = make_batch(std::move(repeats));
    std::vector<std::size_t> all(batch.items.size());
    for (std::size_t i = 0; i < all.size(); ++i)
        all[i] = i;
    DiffOutcome diff = diff_against_archive(batch, all, core::tolerance_to_milli(settings.tolerance_gb));
    for (std::size_t i : diff.fresh) {
        if (counters_.skipped > 0)
            --counters_.skipped;
        normal.push_back(batch.items[i]);
    }
    std::uint64_t written = 0;
    std::vector<std::size_t> gone = sql_overwrite_own_rows(batch, diff.changed, run_id_, &written);
    for (std::size_t i : gone) { // deleted since (by a trigger of the user's): a new day again
        if (counters_.inserted > 0)
            --counters_.inserted;
        normal.push_back(batch.items[i]);
    }
}

void ChunkWriter::write(core::ParsedChunk &chunk, const std::vector<core::ServiceLineInfo> &lines) {
    counters_.records += chunk.records.size();
    timer_.start("collapse");
    counters_.collapsed += core::collapse_duplicates(chunk.records, &check_for_interrupts);
    resolve_new_lines(lines);

    timer_.start("batch");
    std::vector<WriteItem> normal, repeats;
    normal.reserve(chunk.records.size());
    for (const core::UsageRecord &r : chunk.records) {
        const std::int64_t id = line_ids_[r.line];
        const WriteItem item{id, r.day, ItemState::fresh, &r};
        switch (ledger_.get(r.line, r.day)) {
        case KeyOutcome::none:
            break;
        case KeyOutcome::skipped: // the later record decides: counted again below
            --counters_.skipped;
            ++counters_.collapsed;
            break;
        case KeyOutcome::unchanged:
            --counters_.unchanged;
            ++counters_.collapsed;
            break;
        case KeyOutcome::deferred: // the change not yet written becomes the later record's
            deferred_[deferred_at_.at(item_key(id, r.day))].record = r;
            ++counters_.collapsed;
            continue;
        case KeyOutcome::inserted:
            ++counters_.collapsed;
            repeats.push_back(item);
            continue;
        }
        if (id == 0) {
            ++counters_.skipped;
            ledger_.set(r.line, r.day, KeyOutcome::skipped);
        } else {
            normal.push_back(item);
        }
    }
    overwrite_own_rows(std::move(repeats), normal);

    WriteBatch batch = make_batch(std::move(normal));
    prepare_history_partitions(batch);
    std::vector<std::size_t> changed;
    const std::vector<ItemOutcome> outcomes =
        write_batch(batch, BatchWrite{source_, run_id_, table_, counters_, timer_, &changed});
    for (std::size_t i = 0; i < batch.items.size(); ++i)
        ledger_.set(batch.items[i].record->line, batch.items[i].day, ledger_outcome(outcomes[i]));
    for (std::size_t i : changed)
        defer(batch.items[i]);

    timer_.start("cycles");
    write_billing_cycles(chunk.cycles, lines, line_ids_, run_id_);
}

void ChunkWriter::finish() {
    if (deferred_.empty())
        return;
    std::vector<WriteItem> items;
    items.reserve(deferred_.size());
    for (const DeferredChange &d : deferred_)
        items.push_back(WriteItem{d.line_id, d.record.day, ItemState::changed, &d.record});
    WriteBatch batch = make_batch(std::move(items));
    prepare_history_partitions(batch); // a row deleted meanwhile is inserted again
    write_batch(batch, BatchWrite{source_, run_id_, table_, counters_, timer_, nullptr});
}

} // namespace usage_archive::pg
