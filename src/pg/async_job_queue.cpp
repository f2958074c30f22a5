#include "async_job_queue.hpp"

#include "settings.hpp"
#include "shared_state.hpp"
#include "sql_arrays.hpp"
#include "worker_support.hpp"

#include <vector>

namespace usage_archive::pg {
namespace {

// A job whose worker has not reported its pid after this long never started.
constexpr int kStartGraceSeconds = 30;

// Jobs marked running whose worker is gone: the server restarted, or the worker ended
// without recording an outcome (terminated, or the database is being dropped).
std::uint64_t settle_lost_jobs() {
    const TimestampTz cycle_start = shared_state()->initialized_at;
    std::uint64_t settled = 0;
    in_worker_transaction("settling async jobs whose worker is gone", [&] {
        settled = spi_execute(
            "UPDATE usage_archive.jobs j SET state = 'failed', finished_at = pg_catalog.now(), "
            "    sqlstate = CASE WHEN j.started_at < $1 THEN '57P02' ELSE '57P01' END, "
            "    error = CASE WHEN j.started_at < $1 THEN 'server restarted during the job' "
            "                 ELSE 'the job''s worker ended without a result' END "
            "WHERE j.state = 'running' "
            "  AND (j.started_at < $1 "
            "       OR (j.worker_pid IS NULL AND j.started_at < pg_catalog.now() - pg_catalog.make_interval(secs => $2)) "
            "       OR (j.worker_pid IS NOT NULL AND NOT EXISTS ("
            "             SELECT FROM pg_catalog.pg_stat_activity a "
            "             WHERE a.pid = j.worker_pid AND a.backend_type = 'usage_archive job')))",
            {SpiArg{TIMESTAMPTZOID, TimestampTzGetDatum(cycle_start)}, SpiArg{INT4OID, Int32GetDatum(kStartGraceSeconds)}});
    });
    return settled;
}

std::vector<std::int64_t> claim_queued_jobs() {
    std::vector<std::int64_t> claimed;
    in_worker_transaction("starting async jobs", [&] {
        claimed = spi_int64_column(
            "UPDATE usage_archive.jobs SET state = 'running', started_at = pg_catalog.now() "
            "WHERE job_id IN (SELECT job_id FROM usage_archive.jobs WHERE state = 'queued' ORDER BY job_id "
            "                 LIMIT GREATEST($1 - (SELECT count(*) FROM usage_archive.jobs WHERE state = 'running'), 0) "
            "                 FOR UPDATE SKIP LOCKED) "
            "RETURNING job_id",
            {SpiArg{INT4OID, Int32GetDatum(settings.max_parallel_jobs)}});
    });
    return claimed;
}

void requeue(const std::vector<std::int64_t> &jobs) {
    in_worker_transaction("putting async jobs back in the queue", [&] {
        spi_execute("UPDATE usage_archive.jobs SET state = 'queued', started_at = NULL WHERE job_id = ANY ($1)",
                    {int8_array_arg(jobs)});
    });
}

} // namespace

void announce_job_finished() {
    if (SharedState *shared = shared_state())
        pg_call([shared]() noexcept { ConditionVariableBroadcast(&shared->job_finished); });
}

void dispatch_async_jobs() {
    if (settle_lost_jobs() > 0)
        announce_job_finished();
    std::vector<std::int64_t> not_started;
    for (std::int64_t job : claim_queued_jobs()) {
        char name[BGW_MAXLEN];
        snprintf(name, sizeof name, "usage_archive job " INT64_FORMAT, static_cast<int64>(job));
        BackgroundWorkerHandle *handle =
            start_worker("usage_archive job", name, "usage_archive_job_main", Int64GetDatum(job), MyDatabaseId);
        if (!handle)
            not_started.push_back(job);
        else
            pfree(handle); // the jobs table, not the handle, says what runs

    }
    if (!not_started.empty())
        requeue(not_started);
}

} // namespace usage_archive::pg
