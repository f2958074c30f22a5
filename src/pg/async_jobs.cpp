// SQL entry points of async archive jobs (they need usage_archive preloaded, and run in
// usage_archive.database, where the background worker is):
//   archive_usage_async(source, previous_billing_cycles, service_lines) -> job_id
//   wait_for_job(job_id, timeout) -> archive_stats, or the job's error
//   cancel_job(job_id) -> whether it was cancelled
#include "async_job_queue.hpp"
#include "entry_support.hpp"
#include "extension_version.hpp"
#include "owner_rights.hpp"
#include "settings.hpp"
#include "shared_state.hpp"
#include "sql_arrays.hpp"
#include "usage_fetch_run.hpp"

extern "C" {
#include "commands/dbcommands.h"
#include "storage/condition_variable.h"
#include "utils/acl.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"
}

namespace usage_archive::pg {
namespace {

void require_worker_database() {
    spi_connect();
    require_current_sql_objects();
    spi_finish();
    if (!shared_state())
        throw SqlError(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE, "async archive jobs need the background worker", {},
                       "Add usage_archive to shared_preload_libraries and restart the server.");
    const char *name = settings.database;
    const Oid served = pg_call([name]() noexcept { return name && name[0] ? get_database_oid(name, true) : InvalidOid; });
    if (served != MyDatabaseId)
        throw SqlError(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                       std::string("async archive jobs run in database \"") + (name ? name : "") +
                           "\" (usage_archive.database), not in this one");
}

// Wakes the scheduler once the transaction that queued jobs commits (before, it would not
// see them).
bool wake_at_commit = false;
extern "C" void wake_scheduler_at_commit(XactEvent event, void *) {
    if (event == XACT_EVENT_COMMIT && wake_at_commit)
        wake_scheduler();
    if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_COMMIT ||
        event == XACT_EVENT_PARALLEL_ABORT)
        wake_at_commit = false;
}

Datum archive_usage_async_body(FunctionCallInfo fcinfo) {
    require_worker_database();
    const std::string source = required_text_arg(fcinfo, 0, "source");
    UsageQuery query;
    if (!PG_ARGISNULL(1))
        query.previous_billing_cycles = PG_GETARG_INT32(1);
    check_usage_query(query);
    query.service_lines = optional_text_array_arg(fcinfo, 2, "service_lines");
    const char *role_name = pg_call([]() noexcept { return GetUserNameFromId(GetUserId(), false); });
    const std::string role(role_name);
    const Oid role_oid = GetUserId();
    std::int64_t job_id = 0;
    spi_connect();
    // What the job will need, checked now with the caller's rights: the same as a call.
    if (!(spi_execute("SELECT pg_catalog.has_function_privilege('usage_archive.archive_usage(text, integer, text[])', "
                      "'EXECUTE')",
                      {}) == 1 &&
          spi_bool(0, 1)))
        throw SqlError(ERRCODE_INSUFFICIENT_PRIVILEGE, "permission denied for function archive_usage");
    if (spi_execute("SELECT FROM usage_archive.sources WHERE name OPERATOR(pg_catalog.=) $1", {text_arg(source)}) == 0)
        throw SqlError(ERRCODE_UNDEFINED_OBJECT, "source \"" + source + "\" does not exist", {},
                       "Register it first with usage_archive.add_source().");
    std::vector<std::optional<std::string>> lines;
    if (query.service_lines)
        lines.assign(query.service_lines->begin(), query.service_lines->end());
    // Queued with the owner's rights: no role can queue a job in another role's name.
    with_owner_rights("usage_archive", "jobs", [&] {
        spi_execute("INSERT INTO usage_archive.jobs (source, previous_billing_cycles, service_lines, queued_by, "
                    "    queued_by_role) VALUES ($1, $2, $3, $4, $5) RETURNING job_id",
                    {text_arg(source), SpiArg{INT4OID, Int32GetDatum(query.previous_billing_cycles)},
                     query.service_lines ? text_array_arg(lines) : SpiArg{TEXTARRAYOID, Datum(0), true},
                     text_arg(role), SpiArg{OIDOID, ObjectIdGetDatum(role_oid)}});
        job_id = spi_int64(0, 1);
        spi_free_result();
    });
    spi_finish();
    static bool callback_registered = false;
    if (!callback_registered) {
        pg_call([]() noexcept { RegisterXactCallback(wake_scheduler_at_commit, nullptr); });
        callback_registered = true;
    }
    wake_at_commit = true;
    PG_RETURN_INT64(job_id);
}

struct JobState {
    std::string state, error, sqlstate;
    std::int64_t run_id = 0;
    bool queued_in_this_transaction = false;
};

// The job as committed now (the latest snapshot, whatever the caller's isolation level).
JobState read_job(std::int64_t job_id) {
    std::optional<JobState> found;
    spi_for_each_batch(
        "SELECT state, coalesce(run_id, 0), coalesce(error, ''), coalesce(sqlstate, ''), xmin "
        "FROM usage_archive.jobs WHERE job_id = $1",
        {int8_arg(job_id)}, 1,
        [&](std::uint64_t) {
            JobState j;
            j.state = spi_text(0, 1);
            j.run_id = spi_int64(0, 2);
            j.error = spi_text(0, 3);
            j.sqlstate = spi_text(0, 4);
            bool is_null;
            const TransactionId xmin = DatumGetTransactionId(spi_datum(0, 5, &is_null));
            j.queued_in_this_transaction = TransactionIdIsCurrentTransactionId(xmin);
            found = j;
        },
        CursorSnapshot::latest);
    if (!found)
        throw SqlError(ERRCODE_UNDEFINED_OBJECT, "async job " + std::to_string(job_id) + " does not exist");
    return *found;
}

ArchiveResult read_run(std::int64_t run_id) {
    ArchiveResult r{run_id, {}};
    // The run log is read with its owner's rights: an archiver may wait for its job without
    // being granted the run log.
    with_owner_rights("usage_archive", "archive_runs", [&] {
        if (spi_execute("SELECT inserted, updated, unchanged, skipped, rejected, collapsed "
                        "FROM usage_archive.archive_runs WHERE run_id OPERATOR(pg_catalog.=) $1",
                        {int8_arg(run_id)}) == 1) {
            r.counters.inserted = static_cast<std::uint64_t>(spi_int64(0, 1));
            r.counters.updated = static_cast<std::uint64_t>(spi_int64(0, 2));
            r.counters.unchanged = static_cast<std::uint64_t>(spi_int64(0, 3));
            r.counters.skipped = static_cast<std::uint64_t>(spi_int64(0, 4));
            r.counters.rejected = static_cast<std::uint64_t>(spi_int64(0, 5));
            r.counters.collapsed = static_cast<std::uint64_t>(spi_int64(0, 6));
        }
        spi_free_result();
    });
    return r;
}

long interval_ms(const Interval *i) {
    const double ms = (static_cast<double>(i->time) / 1000.0) + (i->day + i->month * 30.0) * 86400000.0;
    return ms < 0 ? 0 : static_cast<long>(std::min(ms, 1.0e12));
}

Datum wait_for_job_body(FunctionCallInfo fcinfo) {
    require_worker_database();
    if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
        throw SqlError(ERRCODE_NULL_VALUE_NOT_ALLOWED, "job_id and timeout must not be null");
    const std::int64_t job_id = PG_GETARG_INT64(0);
    const long timeout_ms = interval_ms(PG_GETARG_INTERVAL_P(1));
    const TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), timeout_ms);
    SharedState *shared = shared_state();
    spi_connect();
    pg_call([shared]() noexcept { ConditionVariablePrepareToSleep(&shared->job_finished); });
    struct SleepPrepared { // ConditionVariableCancelSleep only touches this process's state
        ~SleepPrepared() { ConditionVariableCancelSleep(); }
    } prepared;
    const std::string job = "async job " + std::to_string(job_id);
    for (;;) {
        const JobState j = read_job(job_id);
        spi_free_result();
        if (j.state == "succeeded") {
            const ArchiveResult result = read_run(j.run_id);
            spi_finish();
            return stats_datum(fcinfo, result);
        }
        if (j.state == "failed")
            throw SqlError(j.sqlstate.size() == 5 ? MAKE_SQLSTATE(j.sqlstate[0], j.sqlstate[1], j.sqlstate[2],
                                                                  j.sqlstate[3], j.sqlstate[4])
                                                  : ERRCODE_EXTERNAL_ROUTINE_EXCEPTION,
                           job + " failed: " + j.error, "Its run is run_id " + std::to_string(j.run_id) + ".");
        if (j.state == "cancelled")
            throw SqlError(ERRCODE_QUERY_CANCELED, job + " was cancelled");
        if (j.queued_in_this_transaction)
            throw SqlError(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                           job + " was queued in this transaction: the worker starts it once the transaction commits");
        const long left_ms = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);
        if (left_ms <= 0)
            throw SqlError(ERRCODE_QUERY_CANCELED, job + " did not finish within the timeout", "It is " + j.state + ".",
                           "Wait again, or cancel it with usage_archive.cancel_job().");
        // Woken when a job ends; the bound keeps a missed wake-up from costing more than 1 s.
        const long nap = std::min(left_ms, 1000L);
        pg_call([shared, nap]() noexcept {
            (void)ConditionVariableTimedSleep(&shared->job_finished, nap, PG_WAIT_EXTENSION);
            CHECK_FOR_INTERRUPTS();
        });
    }
}

Datum cancel_job_body(FunctionCallInfo fcinfo) {
    require_worker_database();
    if (PG_ARGISNULL(0))
        throw SqlError(ERRCODE_NULL_VALUE_NOT_ALLOWED, "job_id must not be null");
    const std::int64_t job_id = PG_GETARG_INT64(0);
    spi_connect();
    if (spi_execute("SELECT queued_by_role, queued_by::text FROM usage_archive.jobs WHERE job_id = $1", {int8_arg(job_id)}) == 0)
        throw SqlError(ERRCODE_UNDEFINED_OBJECT, "async job " + std::to_string(job_id) + " does not exist");
    bool is_null;
    const Oid owner = DatumGetObjectId(spi_datum(0, 1, &is_null));
    const std::string owner_name = spi_text(0, 2);
    spi_free_result();
    // As pg_cancel_backend: the role that queued it, a member of that role, or a superuser.
    if (!pg_call([owner]() noexcept { return has_privs_of_role(GetUserId(), owner); }))
        throw SqlError(ERRCODE_INSUFFICIENT_PRIVILEGE, "permission denied to cancel async job " + std::to_string(job_id),
                       "Only roles with the privileges of role \"" + owner_name + "\", which queued it, may cancel it.");
    bool cancelled = false;
    with_owner_rights("usage_archive", "jobs", [&] {
        if (spi_execute("UPDATE usage_archive.jobs SET state = 'cancelled', finished_at = pg_catalog.now(), "
                        "    sqlstate = '57014', error = 'cancelled before it started' "
                        "WHERE job_id OPERATOR(pg_catalog.=) $1 AND state = 'queued'",
                        {int8_arg(job_id)}) == 1) {
            cancelled = true;
            return;
        }
        if (spi_execute("UPDATE usage_archive.jobs SET cancel_requested = true "
                        "WHERE job_id OPERATOR(pg_catalog.=) $1 AND state = 'running' RETURNING worker_pid",
                        {int8_arg(job_id)}) == 1) {
            bool no_pid;
            const Datum pid = spi_datum(0, 1, &no_pid);
            spi_free_result();
            cancelled = true;
            if (!no_pid) // not yet: the worker sees cancel_requested when it starts
                spi_execute("SELECT pg_catalog.pg_cancel_backend($1)", {SpiArg{INT4OID, pid}});
            spi_free_result();
        }
    });
    spi_finish();
    if (cancelled)
        announce_job_finished();
    PG_RETURN_BOOL(cancelled);
}

} // namespace
} // namespace usage_archive::pg

USAGE_ARCHIVE_SQL_FUNCTION(usage_archive_archive_usage_async, usage_archive::pg::archive_usage_async_body)
USAGE_ARCHIVE_SQL_FUNCTION(usage_archive_wait_for_job, usage_archive::pg::wait_for_job_body)
USAGE_ARCHIVE_SQL_FUNCTION(usage_archive_cancel_job, usage_archive::pg::cancel_job_body)
