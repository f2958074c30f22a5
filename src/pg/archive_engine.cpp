#include "archive_engine.hpp"

#include "chunk_writer.hpp"
#include "citus_node.hpp"
#include "extension_version.hpp"
#include "error_bridge.hpp"
#include "memory_release.hpp"
#include "run_feed.hpp"
#include "run_phases.hpp"
#include "setting_scope.hpp"
#include "settings.hpp"
#include "source_config.hpp"

#include "core/non_copyable.hpp"
#include "core/payload_error.hpp"
#include "core/payload_parser.hpp"

#include <optional>

namespace usage_archive::pg {
namespace {

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

// The run's payload, parsed and written a chunk at a time while it is produced.
void produce_and_write(const SourceConfig &source, const PayloadProducer &produce, RunCounters &counters,
                       ChunkWriter &writer, RunPhases &timer) {
    core::ValidationLimits limits;
    limits.max_daily_gb = settings.max_daily_gb;
    core::PayloadParser parser(source.kind, limits, &check_for_interrupts);
    RunFeed feed(parser, writer, timer);
    try {
        produce(source, feed, counters);
    } catch (const core::PayloadError &e) {
        raise_payload_error(source.name, e);
    }
    feed.finish();
    core::PayloadBuilder &payload = parser.builder();
    counters.records += payload.rejected();
    counters.rejected = payload.rejected();
    counters.rejected_reasons = payload.rejection_reasons();
}

// One archive run at a time in a backend. User code can run inside a run: a trigger on any of
// the tables a run writes (service_lines, daily_usage_history, usage_corrections,
// archive_runs), a column default, a CHECK constraint. If it started another run, that run
// would write between the outer run's diff and its writes and share the backend's COPY
// machinery with the COPY in progress. Such a call is refused before it writes anything (its
// own run-log row included: writing it could fire the very trigger that called it), as
// PostgreSQL refuses to drop a table "being used by active queries in this session".
class ExclusiveRun : core::NonCopyable {
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

  private:
    static inline bool active_ = false;
    static inline std::string active_source_;
};

ArchiveResult run_archive(RunLog &log, const std::string &source_name, const PayloadProducer &produce) {
    // Locked before it is read: the run sees the source as the last run of it left it.
    refuse_on_citus_worker();
    // Under Citus the run talks to each worker over one connection: a run that creates a
    // history partition (ATTACH PARTITION) or registers service lines (a reference table) after
    // a multi-shard statement of its own would otherwise be refused by Citus ("cannot modify
    // table ... because there was a parallel operation on a distributed table in the
    // transaction": the history has a foreign key to a reference table).
    std::optional<SettingScope> citus_mode;
    if (citus_installed())
        citus_mode.emplace(std::initializer_list<SettingValue>{{"citus.multi_shard_modify_mode", "sequential"}});
    lock_source_for_archive(source_name);
    const SourceConfig source = load_source(source_name);
    const std::int64_t run_id = log.run_id();
    RunCounters &counters = log.counters;

    RunPhases timer(source.name);
    ChunkWriter writer(source, run_id, counters, timer);
    produce_and_write(source, produce, counters, writer, timer);
    timer.stop();
    if (citus_mode)
        citus_mode->end();

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
