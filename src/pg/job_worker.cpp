// An async job's worker (started by the scheduler, async_job_queue.cpp): runs one queued
// archive_usage as the role that queued it, in a transaction of its own that also records
// the job's outcome, so the job says 'succeeded' exactly when its rows are committed. A
// failure (or cancel_job, which cancels the worker's query) is recorded in a second
// transaction. The run itself is logged in archive_runs like any call.
#include "archive_engine.hpp"
#include "async_job_queue.hpp"
#include "run_log.hpp"
#include "setting_scope.hpp"
#include "shared_state.hpp"
#include "sql_arrays.hpp"
#include "usage_fetch_run.hpp"
#include "worker_support.hpp"

extern "C" {
#include "storage/ipc.h"
#include "utils/syscache.h"
}

namespace usage_archive::pg {
namespace {

struct JobSpec {
    std::string source;
    UsageQuery query;
    Oid role = InvalidOid;
    bool cancelled = false;
};

std::optional<std::vector<std::string>> text_array_column(std::uint64_t row, int column) {
    bool is_null;
    const Datum d = spi_datum(row, column, &is_null);
    if (is_null)
        return std::nullopt;
    Datum *elements;
    bool *nulls;
    int count;
    pg_call([d, &elements, &nulls, &count]() noexcept {
        deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT, &elements, &nulls, &count);
    });
    std::vector<std::string> out;
    for (int i = 0; i < count; ++i)
        if (!nulls[i])
            out.emplace_back(VARDATA_ANY(DatumGetTextPP(elements[i])), VARSIZE_ANY_EXHDR(DatumGetTextPP(elements[i])));
    return out;
}

// Takes the job: its worker_pid is recorded so cancel_job can reach this process.
std::optional<JobSpec> take_job(std::int64_t job_id) {
    std::optional<JobSpec> spec;
    in_worker_transaction("starting an async job", [&] {
        if (spi_execute("UPDATE usage_archive.jobs SET worker_pid = pg_catalog.pg_backend_pid() "
                        "WHERE job_id = $1 AND state = 'running' "
                        "RETURNING source, previous_billing_cycles, service_lines, queued_by_role, cancel_requested",
                        {int8_arg(job_id)}) == 1) {
            JobSpec s;
            s.source = spi_text(0, 1);
            s.query.previous_billing_cycles = spi_int32(0, 2);
            s.query.service_lines = text_array_column(0, 3);
            bool is_null;
            s.role = DatumGetObjectId(spi_datum(0, 4, &is_null));
            s.cancelled = spi_bool(0, 5);
            spec = std::move(s);
        }
        spi_free_result();
    });
    return spec;
}

// The job's run as its role: the same privilege checks as calling archive_usage directly.
void run_as(const JobSpec &spec, std::int64_t job_id) {
    const Oid role = spec.role;
    const bool exists = pg_call([role]() noexcept { return OidIsValid(role) && SearchSysCacheExists1(AUTHOID, ObjectIdGetDatum(role)); });
    if (!exists)
        throw SqlError(ERRCODE_UNDEFINED_OBJECT, "the role that queued the job no longer exists");
    Oid saved_user;
    int saved_context;
    GetUserIdAndSecContext(&saved_user, &saved_context);
    // SECURITY_LOCAL_USERID_CHANGE: nothing the run calls can SET ROLE back to the worker's
    // superuser. An error rolls the transaction back, which restores the user id.
    SetUserIdAndSecContext(role, saved_context | SECURITY_LOCAL_USERID_CHANGE);
    const bool may_execute = spi_execute("SELECT pg_catalog.has_function_privilege("
                                         "'usage_archive.archive_usage(text, integer, text[])', 'EXECUTE')",
                                         {}) == 1 &&
                             spi_bool(0, 1);
    spi_free_result();
    if (!may_execute)
        throw SqlError(ERRCODE_INSUFFICIENT_PRIVILEGE, "permission denied for function archive_usage");
    SettingScope settings({{"search_path", "pg_catalog, pg_temp"}});
    const ArchiveResult result = archive_call(spec.source, "archive_usage_async", [&spec] {
        return ArchiveCall{spec.source, usage_fetch_producer(spec.query)};
    });
    settings.end();
    SetUserIdAndSecContext(saved_user, saved_context);
    spi_execute("UPDATE usage_archive.jobs SET state = 'succeeded', finished_at = pg_catalog.now(), run_id = $2 "
                "WHERE job_id = $1",
                {int8_arg(job_id), int8_arg(result.run_id)});
}

void record_failure(std::int64_t job_id, const WorkerError &error) {
    const std::int64_t run_id = last_run_id();
    in_worker_transaction("recording an async job's failure", [&] {
        spi_execute("UPDATE usage_archive.jobs SET finished_at = pg_catalog.now(), sqlstate = $2, error = $3, "
                    "    run_id = NULLIF($4, 0), "
                    "    state = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'failed' END "
                    "WHERE job_id = $1 AND state = 'running'",
                    {int8_arg(job_id), text_arg(error.sqlstate), text_arg(error.message), int8_arg(run_id)});
    });
}

void run_job(std::int64_t job_id) {
    const std::optional<JobSpec> spec = take_job(job_id);
    if (!spec)
        return; // cancelled while it was being started, or settled meanwhile
    WorkerError error;
    if (spec->cancelled)
        error = WorkerError{"57014", "cancelled before it started"};
    else if (in_worker_transaction("running an async job", [&] { run_as(*spec, job_id); }, &error))
        return;
    record_failure(job_id, error);
}

} // namespace
} // namespace usage_archive::pg

extern "C" {
PGDLLEXPORT void usage_archive_job_main(Datum);

void usage_archive_job_main(Datum argument) {
    using namespace usage_archive::pg;
    set_up_backend_signals();
    connect_to_worker_database();
    register_database_worker();
    run_worker_body("usage_archive job", [argument] { run_job(DatumGetInt64(argument)); });
    announce_job_finished();
    proc_exit(0);
}
}
