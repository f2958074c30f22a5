#include "batch_writer.hpp"

#include "compared_rows_check.hpp"
#include "error_bridge.hpp"
#include "settings.hpp"
#include "sql_write.hpp"
#include "usage_diff.hpp"

#include <algorithm>
#include <optional>

namespace usage_archive::pg {
namespace {

// A run retries the diff-and-write of rows a concurrent writer touched in between; rows
// still contended after this many rounds fail the run with a serialization error.
constexpr int kMaxWriteRounds = 4;

// Items a statement did not write are looked at again in the next round: someone else wrote
// the key meanwhile (the diff then sees their row), or a BEFORE ROW trigger of the user's
// returned NULL. An item missed twice in the same state (still no row after an insert, still
// differing after an update) was suppressed by such a trigger, and counts as skipped: the
// counters still add up, and the run does not retry until 40001.
std::vector<std::size_t> drop_suppressed(const std::vector<std::size_t> &items, const std::vector<ItemState> &missed_as,
                                         ItemState state, std::vector<ItemOutcome> &outcomes, std::uint64_t *skipped) {
    std::vector<std::size_t> kept;
    for (std::size_t i : items) {
        if (missed_as[i] == state) {
            ++*skipped;
            outcomes[i] = ItemOutcome::skipped;
        } else {
            kept.push_back(i);
        }
    }
    return kept;
}

void mark(std::vector<ItemOutcome> &outcomes, const std::vector<std::size_t> &items, ItemOutcome outcome) {
    for (std::size_t i : items)
        outcomes[i] = outcome;
}

} // namespace

std::vector<ItemOutcome> write_batch(WriteBatch &batch, const BatchWrite &how) {
    RunCounters &counters = how.counters;
    std::vector<ItemOutcome> outcomes(batch.items.size(), ItemOutcome::pending);
    const core::MilliGb tolerance = core::tolerance_to_milli(settings.tolerance_gb);
    std::vector<std::size_t> pending(batch.items.size());
    for (std::size_t i = 0; i < pending.size(); ++i)
        pending[i] = i;
    // What each item was when a statement last missed it (unchanged: not missed).
    std::vector<ItemState> missed_as(batch.items.size(), ItemState::unchanged);
    for (int round = 1; !pending.empty(); ++round) {
        if (round > kMaxWriteRounds)
            throw SqlError(ERRCODE_T_R_SERIALIZATION_FAILURE,
                           "could not archive: other sessions kept changing the same usage rows", {},
                           "Retry the archive run.");
        how.timer.start("diff");
        DiffOutcome diff = diff_against_archive(batch, pending, tolerance);
        if (!diff.compared_versions.empty())
            require_compared_rows_current(batch, pending, diff, how.source.name);
        diff.fresh = drop_suppressed(diff.fresh, missed_as, ItemState::fresh, outcomes, &counters.skipped);
        diff.changed = drop_suppressed(diff.changed, missed_as, ItemState::changed, outcomes, &counters.skipped);
        how.timer.start("insert");
        counters.unchanged += diff.unchanged;
        for (std::size_t i : pending)
            if (batch.items[i].state == ItemState::unchanged)
                outcomes[i] = ItemOutcome::unchanged;
        std::vector<std::size_t> retry;
        if (!diff.fresh.empty()) {
            std::optional<std::uint64_t> copied;
            const char *refusal = round == 1 ? how.table.copy_refusal : "COPY was not possible in an earlier round";
            if (!refusal)
                copied = copy_insert(batch, diff.fresh, how.run_id, how.table);
            if (copied) {
                // COPY counts the rows it inserted: the others a trigger suppressed (a key
                // someone else inserted would have failed the COPY instead). Which ones is not
                // known; all count as inserted in the outcomes (only a later chunk's copy of
                // the same day looks at them, and it diffs against the archive first).
                counters.inserted += *copied;
                counters.skipped += diff.fresh.size() - *copied;
                counters.write_method = "copy";
                mark(outcomes, diff.fresh, ItemOutcome::inserted);
            } else {
                if (refusal)
                    pg_call([refusal]() noexcept { elog(DEBUG1, "usage_archive: inserting through SQL: %s", refusal); });
                retry = sql_insert(batch, diff.fresh, how.run_id, how.table.has_rules, &counters.inserted);
                mark(outcomes, diff.fresh, ItemOutcome::inserted);
                for (std::size_t i : retry) {
                    missed_as[i] = ItemState::fresh;
                    outcomes[i] = ItemOutcome::pending;
                }
                counters.write_method = "sql";
            }
        }
        how.timer.start("update");
        if (!diff.changed.empty() && how.defer_changed) {
            how.defer_changed->insert(how.defer_changed->end(), diff.changed.begin(), diff.changed.end());
            mark(outcomes, diff.changed, ItemOutcome::deferred);
        } else if (!diff.changed.empty()) {
            std::vector<std::size_t> vanished = sql_update(batch, diff.changed, how.run_id, &counters.updated);
            mark(outcomes, diff.changed, ItemOutcome::updated);
            for (std::size_t i : vanished) {
                missed_as[i] = ItemState::changed;
                outcomes[i] = ItemOutcome::pending;
            }
            retry.insert(retry.end(), vanished.begin(), vanished.end());
        }
        std::sort(retry.begin(), retry.end()); // diff_against_archive wants item order
        pending.swap(retry);
    }
    return outcomes;
}

} // namespace usage_archive::pg
