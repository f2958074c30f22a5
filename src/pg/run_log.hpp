// usage_archive.archive_runs: one row per archive call, saying what it did.
#pragma once

#include "spi_support.hpp"

#include "core/non_copyable.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace usage_archive::pg {

struct RunCounters {
    std::uint64_t records = 0; // in the payload: the sum of the six counters below
    std::uint64_t inserted = 0;
    std::uint64_t updated = 0;
    std::uint64_t unchanged = 0;
    std::uint64_t skipped = 0;
    std::uint64_t rejected = 0;
    std::uint64_t collapsed = 0;
    std::vector<std::string> rejected_reasons;
    std::string write_method; // "copy" or "sql" when rows were inserted
    std::uint64_t payload_bytes = 0;
    // archive_usage only
    std::uint64_t http_requests = 0;
    std::uint64_t http_retries = 0;
    std::uint64_t bytes_received = 0;
    std::optional<double> fetch_ms;
    // The query the API was asked (starlink: the request body, its line list cut to fit 1 kB),
    // so the run log tells a backfill from a billing-cycle fetch. Empty: none.
    std::string api_request;
};

// The archive_runs columns that hold a finished run's counters, in the order of
// run_counter_args(), and "$first, ..., $(first+14)": one list for every statement that
// writes a finished run.
extern const char *const kRunCounterColumns;
std::string run_counter_placeholders(int first);
std::vector<SpiArg> run_counter_args(const RunCounters &counters);

// The run-log row of one archive call. With the background worker (usage_archive preloaded,
// in usage_archive.database) the row is durable: 'running' while the call runs, visible to
// other sessions; 'succeeded' exactly when the caller's transaction commits the archived
// rows; 'failed' with the error, or 'rolled_back', whatever the caller's transaction does
// (run_slots.hpp). Otherwise it is written in the caller's transaction and shares its fate:
// a failed or rolled-back call leaves no row.
//
// The rows are written with the table owner's rights: archiving needs no privilege on
// archive_runs, so no archiving role can write or rewrite run rows.
class RunLog : core::NonCopyable {
  public:
    // A new run_id, and the 'running' row (or the worker's promise of it). `source` is what
    // the caller passed, even when no such source exists.
    RunLog(const std::string &source, const char *entry_point);
    ~RunLog(); // a run neither succeeded nor failed (never in practice) is failed internally

    std::int64_t run_id() const { return run_id_; }
    RunCounters counters; // filled as the run goes, so a failure reports what it reached

    // A call refused before it could start (nested in another): logged as 'failed' when the
    // background worker can write the row, with no statement in the caller's transaction.
    static void record_refused_call(const std::string &source, const char *entry_point, const char *sqlstate,
                                    const char *message);

    // Writes status 'succeeded' and the counters, in the caller's transaction.
    void succeeded();
    // The call failed with this error: recorded as 'failed' (durable mode; otherwise the
    // caller's transaction, and the row with it, is about to be rolled back).
    void failed(const char *sqlstate, const char *message) noexcept;

  private:
    std::int64_t run_id_;
    std::string source_;
    const char *entry_point_;
    std::string invoked_by_;
    int slot_;    // the shared-memory slot, -1 when the row lives in the caller's transaction
    bool ended_ = false;
};

// The run_id of the last archive call this backend started (0: none): what an async job
// records even when its run failed.
std::int64_t last_run_id();

} // namespace usage_archive::pg
