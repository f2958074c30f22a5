#include "worker_support.hpp"

extern "C" {
#include "pgstat.h"
#include "postmaster/interrupt.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/snapmgr.h"
#include "utils/wait_event.h"
}

namespace usage_archive::pg {

void set_up_loop_signals() {
    pqsignal(SIGHUP, SignalHandlerForConfigReload);
    pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
    BackgroundWorkerUnblockSignals();
}

void set_up_backend_signals() {
    pqsignal(SIGHUP, SignalHandlerForConfigReload);
    pqsignal(SIGTERM, die);
    BackgroundWorkerUnblockSignals();
}

bool shutdown_requested() {
    check_for_interrupts();
    if (ConfigReloadPending) {
        ConfigReloadPending = false;
        pg_call([]() noexcept { ProcessConfigFile(PGC_SIGHUP); });
    }
    return ShutdownRequestPending;
}

void sleep_on_latch(long ms) {
    pg_call([ms]() noexcept {
        (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, ms, PG_WAIT_EXTENSION);
        ResetLatch(MyLatch);
    });
}

bool in_worker_transaction(const char *activity, const std::function<void()> &fn, WorkerError *error) {
    pg_call([activity]() noexcept {
        SetCurrentStatementStartTimestamp();
        StartTransactionCommand();
        PushActiveSnapshot(GetTransactionSnapshot());
        pgstat_report_activity(STATE_RUNNING, activity);
    });
    try {
        spi_connect();
        fn();
        spi_finish();
        pg_call([]() noexcept {
            PopActiveSnapshot();
            CommitTransactionCommand();
            pgstat_report_stat(false);
            pgstat_report_activity(STATE_IDLE, nullptr);
        });
        return true;
    } catch (const std::exception &e) {
        const std::string message = e.what();
        if (error)
            *error = WorkerError{sqlstate_of(e), message};
        const char *m = message.c_str();
        // The worker goes on with its next round; what failed is in the server log.
        pg_call([activity, m]() noexcept {
            AbortCurrentTransaction();
            pgstat_report_activity(STATE_IDLE, nullptr);
            ereport(LOG, (errmsg("usage_archive: %s failed: %s", activity, m)));
        });
        return false;
    }
}

BackgroundWorker worker_definition(const char *type, const char *name, const char *function, int restart_seconds) {
    BackgroundWorker worker;
    std::memset(&worker, 0, sizeof worker);
    worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
    worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
    worker.bgw_restart_time = restart_seconds;
    snprintf(worker.bgw_library_name, BGW_MAXLEN, "usage_archive");
    snprintf(worker.bgw_function_name, BGW_MAXLEN, "%s", function);
    snprintf(worker.bgw_type, BGW_MAXLEN, "%s", type);
    snprintf(worker.bgw_name, BGW_MAXLEN, "%s", name);
    return worker;
}

void run_worker_body(const char *process, const std::function<void()> &body) {
    try {
        body();
    } catch (const std::exception &e) {
        const std::string message = e.what();
        const char *m = message.c_str();
        pg_call([process, m]() noexcept { ereport(LOG, (errmsg("%s: %s", process, m))); });
    }
}

BackgroundWorkerHandle *start_worker(const char *type, const char *name, const char *function, Datum argument,
                                     Oid database) {
    BackgroundWorker worker = worker_definition(type, name, function);
    worker.bgw_main_arg = argument;
    std::memcpy(worker.bgw_extra, &database, sizeof database);
    worker.bgw_notify_pid = MyProcPid; // our latch is set when it starts and when it stops
    BackgroundWorkerHandle *handle = nullptr;
    const bool started = pg_call([&worker, &handle]() noexcept { return RegisterDynamicBackgroundWorker(&worker, &handle); });
    if (!started) {
        pg_call([type]() noexcept {
            ereport(LOG, (errmsg("usage_archive: could not start a \"%s\" worker: no background worker slot is free",
                                 type),
                          errhint("Raise max_worker_processes.")));
        });
        return nullptr;
    }
    return handle;
}

Oid worker_database() {
    Oid database;
    std::memcpy(&database, MyBgworkerEntry->bgw_extra, sizeof database);
    return database;
}

void connect_to_worker_database() {
    BackgroundWorkerInitializeConnectionByOid(worker_database(), InvalidOid, 0);
    SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_OVERRIDE);
    // The workers give way: in a deadlock with a user's session (DROP EXTENSION while a round
    // writes the run log), the process that waited deadlock_timeout first checks and gives
    // up. The worker's round is retried; the user's statement should not fail for it.
    SetConfigOption("deadlock_timeout", "100ms", PGC_SUSET, PGC_S_OVERRIDE);
}

} // namespace usage_archive::pg
