// The scheduler: a dynamic background worker in usage_archive.database, started by the
// launcher. Each round (woken by a backend, or every usage_archive.worker_naptime) it writes
// the durable run log, settles runs that outlived their call, starts async jobs and sweeps,
// and applies retention, each in short transactions of its own. While the extension is not
// created in its database it only waits. A DROP DATABASE of its database (drop_hooks.cpp)
// makes it leave at once; so does SIGTERM.
#include "async_job_queue.hpp"
#include "drop_hooks.hpp"
#include "extension_version.hpp"
#include "history_partitions.hpp"
#include "retention.hpp"
#include "run_log_writer.hpp"
#include "settings.hpp"
#include "shared_state.hpp"
#include "uniqueness_sweep.hpp"
#include "worker_support.hpp"

extern "C" {
#include "storage/ipc.h"
#include "storage/proc.h"
}

namespace usage_archive::pg {
namespace {

// The extension exists here at the library's version. Until then the scheduler only waits
// (and says once why, when the version differs: ALTER EXTENSION ... UPDATE is due).
bool extension_ready(bool *reported) {
    std::string version;
    in_worker_transaction("looking for the usage_archive extension", [&version] { version = installed_version(); });
    if (version == kLibraryVersion) {
        *reported = false;
        return true;
    }
    if (!version.empty() && !*reported) {
        const char *v = version.c_str();
        pg_call([v]() noexcept {
            ereport(LOG, (errmsg("usage_archive: the extension in this database is version %s, the library %s: the "
                                 "background worker waits for ALTER EXTENSION usage_archive UPDATE",
                                 v, kLibraryVersion)));
        });
        *reported = true;
    }
    return false;
}

bool asked_to_leave() { return database_being_dropped(MyDatabaseId); }

void scheduler_loop() {
    bool settled_earlier_runs = false;
    bool reported_version = false;
    while (!shutdown_requested() && !asked_to_leave()) {
        if (extension_ready(&reported_version)) {
            write_run_log();
            settle_ended_runs(!settled_earlier_runs);
            settled_earlier_runs = true;
            dispatch_async_jobs();
            start_due_sweep();
            apply_retention();
            premake_history_partitions();
        } else {
            settled_earlier_runs = false; // created again later: settle what an earlier one left
        }
        if (asked_to_leave())
            break;
        sleep_on_latch(settings.worker_naptime_ms);
    }
}

} // namespace
} // namespace usage_archive::pg

extern "C" {
PGDLLEXPORT void usage_archive_scheduler_main(Datum);

void usage_archive_scheduler_main(Datum) {
    using namespace usage_archive::pg;
    set_up_loop_signals();
    connect_to_worker_database();
    SharedState *shared = shared_state();
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    shared->scheduler_procno = MyProc->pgprocno;
    shared->scheduler_database = MyDatabaseId;
    LWLockRelease(shared->lock);
    register_database_worker();
    run_worker_body("usage_archive scheduler", [] { scheduler_loop(); });
    forget_run_log_writes_in_flight();
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    shared->scheduler_procno = -1;
    shared->scheduler_database = InvalidOid;
    LWLockRelease(shared->lock);
    proc_exit(0); // the launcher starts a new one when it is needed
}
}
