#include "run_log.hpp"

#include "owner_rights.hpp"
#include "run_slots.hpp"
#include "sql_arrays.hpp"

extern "C" {
#include "utils/timestamp.h"
}

namespace usage_archive::pg {
namespace {

std::int64_t last_started_run_id = 0;

std::int64_t next_run_id() {
    std::int64_t id = 0;
    // A sequence value survives a rollback: the id stays the run's whatever happens to it.
    with_owner_rights("usage_archive", "archive_runs", [&] {
        spi_execute("SELECT pg_catalog.nextval('usage_archive.archive_runs_run_id_seq')", {});
        id = spi_int64(0, 1);
        spi_free_result();
    });
    return id;
}

} // namespace

const char *const kRunCounterColumns = "records, inserted, updated, unchanged, skipped, rejected, collapsed, "
                                       "rejected_reasons, write_method, payload_bytes, http_requests, http_retries, "
                                       "bytes_received, fetch_ms, api_request";

std::string run_counter_placeholders(int first) {
    std::string out;
    for (int i = first; i < first + 15; ++i)
        out += (i == first ? "$" : ", $") + std::to_string(i);
    return out + "::pg_catalog.jsonb"; // api_request, passed as text
}

std::vector<SpiArg> run_counter_args(const RunCounters &c) {
    std::vector<std::optional<std::string>> reasons(c.rejected_reasons.begin(), c.rejected_reasons.end());
    return {int8_arg(static_cast<std::int64_t>(c.records)),
            int8_arg(static_cast<std::int64_t>(c.inserted)),
            int8_arg(static_cast<std::int64_t>(c.updated)),
            int8_arg(static_cast<std::int64_t>(c.unchanged)),
            int8_arg(static_cast<std::int64_t>(c.skipped)),
            int8_arg(static_cast<std::int64_t>(c.rejected)),
            int8_arg(static_cast<std::int64_t>(c.collapsed)),
            text_array_arg(reasons),
            c.write_method.empty() ? SpiArg{TEXTOID, Datum(0), true} : text_arg(c.write_method),
            int8_arg(static_cast<std::int64_t>(c.payload_bytes)),
            int8_arg(static_cast<std::int64_t>(c.http_requests)),
            int8_arg(static_cast<std::int64_t>(c.http_retries)),
            int8_arg(static_cast<std::int64_t>(c.bytes_received)),
            c.fetch_ms ? SpiArg{FLOAT8OID, Float8GetDatum(*c.fetch_ms)} : SpiArg{FLOAT8OID, Datum(0), true},
            c.api_request.empty() ? SpiArg{TEXTOID, Datum(0), true} : text_arg(c.api_request)};
}

RunLog::RunLog(const std::string &source, const char *entry_point)
    : source_(source), entry_point_(entry_point) {
    // The invoking role, named before any statement runs as the owner.
    const char *role = pg_call([]() noexcept { return GetUserNameFromId(GetUserId(), false); });
    invoked_by_ = role;
    run_id_ = next_run_id();
    last_started_run_id = run_id_;
    slot_ = claim_run_slot(run_id_, source_, entry_point_, invoked_by_);
    if (slot_ >= 0)
        return; // the worker inserts the 'running' row
    with_owner_rights("usage_archive", "archive_runs", [&] {
        spi_execute("INSERT INTO usage_archive.archive_runs (run_id, source, entry_point, invoked_by, backend_pid) "
                    "VALUES ($1, $2, $3, $4, pg_catalog.pg_backend_pid())",
                    {int8_arg(run_id_), text_arg(source_), text_arg(entry_point_), text_arg(invoked_by_)});
    });
}

void RunLog::record_refused_call(const std::string &source, const char *entry_point, const char *sqlstate,
                                 const char *message) {
    const char *role = pg_call([]() noexcept { return GetUserNameFromId(GetUserId(), false); });
    const std::int64_t run_id = next_run_id();
    const int slot = claim_run_slot(run_id, source, entry_point, role);
    if (slot >= 0)
        fail_run_slot(slot, run_id, RunCounters{}, sqlstate, message);
}

RunLog::~RunLog() {
    if (!ended_)
        failed("XX000", "the run ended without a result");
}

void RunLog::succeeded() {
    if (slot_ >= 0)
        (void)await_running_row(slot_, run_id_);
    std::vector<SpiArg> args = {int8_arg(run_id_), text_arg(source_), text_arg(entry_point_), text_arg(invoked_by_)};
    const std::vector<SpiArg> counts = run_counter_args(counters);
    args.insert(args.end(), counts.begin(), counts.end());
    const std::string values = run_counter_placeholders(5);
    // The time is a parameter, not clock_timestamp() in the statement: a distributed
    // database (Citus) refuses volatile functions in writes of its tables.
    const std::string finished_at = "$" + std::to_string(args.size() + 1);
    args.push_back(SpiArg{TIMESTAMPTZOID, TimestampTzGetDatum(GetCurrentTimestamp())});
    // The row is the worker's 'running' row, or none (no worker, or it did not answer in
    // time): one statement serves both, in the caller's transaction. The worker committed that
    // row after a REPEATABLE READ or SERIALIZABLE caller took its snapshot, so the statement
    // runs with the latest one (with the transaction's, every such run failed with 40001).
    const std::string sql =
        std::string("INSERT INTO usage_archive.archive_runs AS r (run_id, source, entry_point, invoked_by, status, "
                    "    finished_at, backend_pid, transaction_id, ") +
        kRunCounterColumns + ") VALUES ($1, $2, $3, $4, 'succeeded', " + finished_at + ", " +
        "pg_catalog.pg_backend_pid(), pg_catalog.pg_current_xact_id(), " + values + ") " +
        "ON CONFLICT (run_id) DO UPDATE SET status = 'succeeded', finished_at = EXCLUDED.finished_at, (" +
        kRunCounterColumns + ") = (" + values + ")";
    with_owner_rights("usage_archive", "archive_runs", [&] { spi_execute_latest(sql.c_str(), args); });
    if (slot_ >= 0)
        release_run_slot(slot_, run_id_);
    ended_ = true;
}

void RunLog::failed(const char *sqlstate, const char *message) noexcept {
    if (ended_)
        return;
    ended_ = true;
    if (slot_ >= 0)
        fail_run_slot(slot_, run_id_, counters, sqlstate, message);
}

std::int64_t last_run_id() { return last_started_run_id; }


} // namespace usage_archive::pg
