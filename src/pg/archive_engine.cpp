#include "archive_engine.hpp"
#include "billing_cycle_writer.hpp"
#include "citus_node.hpp"
#include "history_partitions.hpp"

#include "compared_rows_check.hpp"
#include "copy_insert.hpp"
#include "extension_version.hpp"
#include "error_bridge.hpp"
#include "memory_release.hpp"
#include "run_phases.hpp"
#include "service_line_registry.hpp"
#include "settings.hpp"
#include "source_config.hpp"
#include "sql_write.hpp"
#include "usage_diff.hpp"

#include "core/batch_collapse.hpp"
#include "core/payload_error.hpp"
#include "core/payload_parser.hpp"

#include <algorithm>
#include <optional>

namespace usage_archive::pg {
namespace {

// A run retries the diff-and-write of rows a concurrent writer touched in between; rows
// still contended after this many rounds fail the run with a serialization error.
constexpr int kMaxWriteRounds = 4;

[[noreturn]] void raise_payload_error(const std::string &source, const core::PayloadError &e) {
    const std::string message = "source \"" + source + "\": " + e.what();
    const std::string nothing = "Nothing of this payload was archived.";
    switch (e.kind()) {
    case core::PayloadError::Kind::syntax:
        throw SqlError(ERRCODE_INVALID_TEXT_REPRESENTATION, message, nothing);
    case core::PayloadError::Kind::shape:
        throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE, message, nothing,
                       "A starlink source takes the V2 data-usage query response; a simple source takes "
                       "{\"<service line>\": {\"daily_usage\": [{\"date\": ..., \"usage_gb\": ...}]}}.");
    case core::PayloadError::Kind::out_of_range:
        throw SqlError(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE, message, nothing);
    case core::PayloadError::Kind::api_reported:
        throw SqlError(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION, message, nothing);
    }
    throw SqlError(ERRCODE_INTERNAL_ERROR, message);
}

core::ParsedPayload produce_payload(const SourceConfig &source, const PayloadProducer &produce, RunCounters &counters) {
    core::ValidationLimits limits;
    limits.max_daily_gb = settings.max_daily_gb;
    core::PayloadParser parser(source.kind, limits, &check_for_interrupts);
    try {
        produce(source, parser, counters);
    } catch (const core::PayloadError &e) {
        raise_payload_error(source.name, e);
    }
    return parser.finish();
}

// The survivors whose line is known, keyed and sorted like the primary key.
WriteBatch build_batch(const core::ParsedPayload &parsed, const std::vector<std::int64_t> &line_ids,
                       std::uint64_t *skipped) {
    WriteBatch batch;
    batch.items.reserve(parsed.records.size());
    for (const core::UsageRecord &r : parsed.records) {
        const std::int64_t id = line_ids[r.line];
        if (id == 0)
            ++*skipped;
        else
            batch.items.push_back(WriteItem{id, r.day, ItemState::fresh, &r});
    }
    auto by_key = [](const WriteItem &a, const WriteItem &b) { return item_key(a.line_id, a.day) < item_key(b.line_id, b.day); };
    // New lines get ids in payload order, so this is usually sorted already.
    if (!std::is_sorted(batch.items.begin(), batch.items.end(), by_key))
        std::sort(batch.items.begin(), batch.items.end(), by_key);
    batch.keys.reserve(batch.items.size());
    for (const WriteItem &item : batch.items)
        batch.keys.push_back(item_key(item.line_id, item.day));
    return batch;
}

// Items a statement did not write are looked at again in the next round: someone else wrote
// the key meanwhile (the diff then sees their row), or a BEFORE ROW trigger of the user's
// returned NULL. An item missed twice in the same state (still no row after an insert, still
// differing after an update) was suppressed by such a trigger, and counts as skipped: the
// counters still add up, and the run does not retry until 40001.
std::vector<std::size_t> drop_suppressed(const std::vector<std::size_t> &items, const std::vector<ItemState> &missed_as,
                                         ItemState state, std::uint64_t *skipped) {
    std::vector<std::size_t> kept;
    for (std::size_t i : items) {
        if (missed_as[i] == state)
            ++*skipped;
        else
            kept.push_back(i);
    }
    return kept;
}

void write_batch(WriteBatch &batch, const SourceConfig &source, std::int64_t run_id, RunCounters &counters,
                 RunPhases &timer) {
    const core::MilliGb tolerance = core::tolerance_to_milli(settings.tolerance_gb);
    const HistoryTableTraits table = inspect_history_table();
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
        timer.start("diff");
        DiffOutcome diff = diff_against_archive(batch, pending, tolerance);
        if (!diff.compared_versions.empty())
            require_compared_rows_current(batch, pending, diff, source.name);
        diff.fresh = drop_suppressed(diff.fresh, missed_as, ItemState::fresh, &counters.skipped);
        diff.changed = drop_suppressed(diff.changed, missed_as, ItemState::changed, &counters.skipped);
        timer.start("insert");
        counters.unchanged += diff.unchanged;
        std::vector<std::size_t> retry;
        if (!diff.fresh.empty()) {
            std::optional<std::uint64_t> copied;
            const char *refusal = round == 1 ? table.copy_refusal : "COPY was not possible in an earlier round";
            if (!refusal)
                copied = copy_insert(batch, diff.fresh, run_id, table);
            if (copied) {
                // COPY counts the rows it inserted: the others a trigger suppressed (a key
                // someone else inserted would have failed the COPY instead).
                counters.inserted += *copied;
                counters.skipped += diff.fresh.size() - *copied;
                counters.write_method = "copy";
            } else {
                if (refusal)
                    pg_call([refusal]() noexcept { elog(DEBUG1, "usage_archive: inserting through SQL: %s", refusal); });
                retry = sql_insert(batch, diff.fresh, run_id, table.has_rules, &counters.inserted);
                for (std::size_t i : retry)
                    missed_as[i] = ItemState::fresh;
                counters.write_method = "sql";
            }
        }
        timer.start("update");
        if (!diff.changed.empty()) {
            std::vector<std::size_t> vanished = sql_update(batch, diff.changed, run_id, &counters.updated);
            for (std::size_t i : vanished)
                missed_as[i] = ItemState::changed;
            retry.insert(retry.end(), vanished.begin(), vanished.end());
        }
        std::sort(retry.begin(), retry.end()); // diff_against_archive wants item order
        pending.swap(retry);
    }
}

// One archive run at a time in a backend. User code can run inside a run: a trigger on any of
// the tables a run writes (service_lines, daily_usage_history, usage_corrections,
// archive_runs), a column default, a CHECK constraint. If it started another run, that run
// would write between the outer run's diff and its writes and share the backend's COPY
// machinery with the COPY in progress. Such a call is refused before it writes anything (its
// own run-log row included: writing it could fire the very trigger that called it), as
// PostgreSQL refuses to drop a table "being used by active queries in this session".
class ExclusiveRun {
  public:
    ExclusiveRun(const std::string &source, const char *entry_point) {
        if (active_)
            throw SqlError(ERRCODE_OBJECT_IN_USE, "cannot start an archive run inside another archive run",
                           std::string(entry_point) + "('" + source + "') was called while the run of source \"" +
                               active_source_ + "\" was in progress (from a trigger, column default or constraint "
                               "that fired during it).",
                           "Archive in a separate statement once the outer run has finished.");
        active_ = true;
        active_source_ = source;
    }
    ~ExclusiveRun() { active_ = false; } // however the run ends: the error bridge unwinds every run
    ExclusiveRun(const ExclusiveRun &) = delete;
    ExclusiveRun &operator=(const ExclusiveRun &) = delete;

  private:
    static inline bool active_ = false;
    static inline std::string active_source_;
};

ArchiveResult run_archive(RunLog &log, const std::string &source_name, const PayloadProducer &produce) {
    // Locked before it is read: the run sees the source as the last run of it left it.
    refuse_on_citus_worker();
    lock_source_for_archive(source_name);
    const SourceConfig source = load_source(source_name);
    const std::int64_t run_id = log.run_id();
    RunCounters &counters = log.counters;

    RunPhases timer(source.name);
    timer.start("parse");
    core::ParsedPayload parsed = produce_payload(source, produce, counters);
    counters.records = parsed.total_records();
    counters.rejected = parsed.rejected;
    counters.rejected_reasons = std::move(parsed.rejection_reasons);
    timer.start("collapse");
    counters.collapsed = core::collapse_duplicates(parsed.records, &check_for_interrupts);

    timer.start("lines");
    const std::vector<std::int64_t> line_ids = resolve_service_lines(source, parsed.lines);
    timer.start("batch");
    WriteBatch batch = build_batch(parsed, line_ids, &counters.skipped);
    prepare_history_partitions(batch);
    write_batch(batch, source, run_id, counters, timer);
    timer.start("cycles");
    write_billing_cycles(parsed, line_ids, run_id);
    timer.stop();

    const std::uint64_t accounted = counters.inserted + counters.updated + counters.unchanged + counters.skipped +
                                    counters.rejected + counters.collapsed;
    if (accounted != counters.records)
        throw SqlError(ERRCODE_INTERNAL_ERROR, "usage_archive: counters do not add up to the records in the payload",
                       std::to_string(accounted) + " accounted for, " + std::to_string(counters.records) + " received");
    const std::string timings = timer.summary();
    const char *t = timings.c_str();
    pg_call([run_id, t]() noexcept { elog(DEBUG1, "usage_archive run " INT64_FORMAT ": %s", static_cast<int64>(run_id), t); });
    return ArchiveResult{run_id, counters};
}

// The SQLSTATE and message of the exception being handled, for the run log.
void record_failure(RunLog &log) noexcept {
    try {
        throw;
    } catch (const std::exception &e) {
        log.failed(sqlstate_of(e), e.what());
    } catch (...) {
        log.failed("XX000", "unknown C++ exception in usage_archive");
    }
}

} // namespace

ArchiveResult logged_call(const std::string &source_for_log, const char *entry_point,
                          const std::function<ArchiveResult(RunLog &log)> &run) {
    require_current_sql_objects();
    std::optional<ExclusiveRun> exclusive;
    try {
        exclusive.emplace(source_for_log, entry_point);
    } catch (const SqlError &e) {
        RunLog::record_refused_call(source_for_log, entry_point, unpack_sql_state(e.sqlstate()), e.what());
        throw;
    }
    RunLog log(source_for_log, entry_point);
    try {
        ArchiveResult result = run(log);
        log.succeeded();
        release_run_memory(log.counters.records, log.counters.payload_bytes); // the run's containers are gone
        return result;
    } catch (...) {
        record_failure(log);
        release_run_memory(log.counters.records, log.counters.payload_bytes);
        throw;
    }
}

ArchiveResult archive_call(const std::string &source_for_log, const char *entry_point,
                           const std::function<ArchiveCall()> &read_arguments) {
    return logged_call(source_for_log, entry_point, [&](RunLog &log) {
        const ArchiveCall call = read_arguments();
        return run_archive(log, call.source, call.produce);
    });
}

} // namespace usage_archive::pg
