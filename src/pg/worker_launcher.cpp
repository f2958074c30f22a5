// The launcher: a static background worker (registered when usage_archive is preloaded) that
// keeps one scheduler running for usage_archive.database. It connects to no database, only
// to the shared catalogs (as PostgreSQL's autovacuum launcher does), so it can look the
// database up by name, never blocks DROP DATABASE, and waits quietly while the database
// does not exist.
#include "drop_hooks.hpp"
#include "settings.hpp"
#include "shared_state.hpp"
#include "worker_support.hpp"

extern "C" {
#include "access/heapam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_database.h"
#include "utils/snapmgr.h"
#include "storage/ipc.h"
#include "storage/proc.h"
}

namespace usage_archive::pg {
namespace {

// Looked up by a scan of pg_database: without a database the launcher may read shared
// catalogs only, and not through the relation cache of their indexes (the autovacuum
// launcher reads pg_database the same way).
Oid served_database_oid() {
    const char *name = settings.database;
    if (!name || !name[0])
        return InvalidOid;
    return pg_call([name]() noexcept {
        SetCurrentStatementStartTimestamp();
        StartTransactionCommand();
        (void)GetTransactionSnapshot();
        Oid found = InvalidOid;
        Relation pg_database = table_open(DatabaseRelationId, AccessShareLock);
        TableScanDesc scan = table_beginscan_catalog(pg_database, 0, nullptr);
        HeapTuple tuple;
        while ((tuple = heap_getnext(scan, ForwardScanDirection)) != nullptr) {
            const Form_pg_database db = reinterpret_cast<Form_pg_database>(GETSTRUCT(tuple));
            if (std::strcmp(NameStr(db->datname), name) == 0) {
                found = db->oid;
                break;
            }
        }
        table_endscan(scan);
        table_close(pg_database, AccessShareLock);
        CommitTransactionCommand();
        return found;
    });
}

bool still_running(BackgroundWorkerHandle *handle) {
    pid_t pid;
    return handle && pg_call([handle, &pid]() noexcept { return GetBackgroundWorkerPid(handle, &pid); }) != BGWH_STOPPED;
}

void launcher_loop() {
    BackgroundWorkerHandle *scheduler = nullptr;
    Oid scheduler_database = InvalidOid;
    bool reported_missing = false;
    while (!shutdown_requested()) {
        const Oid database = served_database_oid();
        if (!still_running(scheduler))
            scheduler = nullptr;
        if (scheduler && scheduler_database != database) {
            // usage_archive.database changed: the old scheduler leaves its database.
            pg_call([scheduler]() noexcept { TerminateBackgroundWorker(scheduler); });
            scheduler = nullptr;
        }
        if (!OidIsValid(database) && !reported_missing) {
            const char *name = settings.database;
            pg_call([name]() noexcept {
                ereport(LOG, (errmsg("usage_archive: database \"%s\" (usage_archive.database) does not exist; the "
                                     "background worker waits for it",
                                     name)));
            });
            reported_missing = true;
        } else if (OidIsValid(database)) {
            reported_missing = false;
        }
        if (!scheduler && OidIsValid(database) && !database_being_dropped(database)) {
            scheduler = start_worker("usage_archive scheduler", "usage_archive scheduler", "usage_archive_scheduler_main",
                                     ObjectIdGetDatum(database), database);
            scheduler_database = database;
        }
        sleep_on_latch(settings.worker_naptime_ms);
    }
}

} // namespace
} // namespace usage_archive::pg

extern "C" {
PGDLLEXPORT void usage_archive_launcher_main(Datum);

void usage_archive_launcher_main(Datum) {
    using namespace usage_archive::pg;
    set_up_loop_signals();
    BackgroundWorkerInitializeConnection(nullptr, nullptr, 0); // shared catalogs only
    SharedState *shared = shared_state();
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    shared->launcher_procno = MyProc->pgprocno;
    LWLockRelease(shared->lock);
    bool failed = true;
    run_worker_body("usage_archive launcher", [&failed] {
        launcher_loop();
        failed = false;
    });
    if (failed)
        proc_exit(1); // the postmaster starts it again after bgw_restart_time
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    shared->launcher_procno = -1;
    LWLockRelease(shared->lock);
    proc_exit(0);
}
}
