// Async archive jobs, scheduler side: queued jobs (usage_archive.jobs) are started in
// dynamic background workers, at most usage_archive.max_parallel_jobs at a time, and jobs
// whose worker is gone without a result are marked failed.
#pragma once

namespace usage_archive::pg {

void dispatch_async_jobs();

// Wakes those waiting in wait_for_job (a job ended).
void announce_job_finished();

} // namespace usage_archive::pg
