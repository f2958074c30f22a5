#include "drop_hooks.hpp"

#include "shared_state.hpp"

extern "C" {
#include "catalog/objectaccess.h"
#include "catalog/pg_database.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "storage/procsignal.h"
}

#include <csignal>

namespace usage_archive::pg {
namespace {

object_access_hook_type previous_hook = nullptr;

// Longer than the 5 s DROP DATABASE waits for other sessions to leave.
constexpr long kDropGraceMs = 10000;

// Signals every worker of `database` (SIGTERM: leave; SIGINT: cancel the query in progress).
void signal_database_workers(Oid database, int signal) {
    SharedState *shared = shared_state();
    int pids[kMaxDatabaseWorkers];
    int n = 0;
    LWLockAcquire(shared->lock, LW_SHARED);
    for (const DatabaseWorker &w : shared->database_workers)
        if (w.pid != 0 && w.database == database)
            pids[n++] = w.pid;
    LWLockRelease(shared->lock);
    for (int i = 0; i < n; ++i)
        (void)kill(pids[i], signal);
}

extern "C" void on_object_access(ObjectAccessType access, Oid class_id, Oid object_id, int sub_id, void *arg) {
    if (previous_hook)
        previous_hook(access, class_id, object_id, sub_id, arg);
    SharedState *shared = shared_state();
    if (!shared || access != OAT_DROP)
        return;
    if (class_id == DatabaseRelationId) {
        LWLockAcquire(shared->lock, LW_EXCLUSIVE);
        shared->dropping_database = object_id;
        shared->drop_requested_at = GetCurrentTimestamp();
        LWLockRelease(shared->lock);
        signal_database_workers(object_id, SIGTERM);
        wake_launcher();
    } else if (class_id == ExtensionRelationId && object_id == get_extension_oid("usage_archive", true)) {
        signal_database_workers(MyDatabaseId, SIGINT);
        wake_scheduler();
    }
}

} // namespace

bool database_being_dropped(Oid database) {
    SharedState *shared = shared_state();
    LWLockAcquire(shared->lock, LW_SHARED);
    const bool dropping = shared->dropping_database == database &&
                          !TimestampDifferenceExceeds(shared->drop_requested_at, GetCurrentTimestamp(), kDropGraceMs);
    LWLockRelease(shared->lock);
    return dropping;
}

void install_drop_hooks() {
    previous_hook = object_access_hook;
    object_access_hook = on_object_access;
}

} // namespace usage_archive::pg
