#include "shared_state.hpp"

#include "settings.hpp"

extern "C" {
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "storage/shmem.h"
}

namespace usage_archive::pg {
namespace {

constexpr const char *kShmemName = "usage_archive";
constexpr const char *kTrancheName = "usage_archive";

SharedState *state = nullptr;
shmem_request_hook_type previous_request_hook = nullptr;
shmem_startup_hook_type previous_startup_hook = nullptr;

Size shared_size() {
    return add_size(offsetof(SharedState, slots), mul_size(sizeof(RunSlot), static_cast<Size>(settings.run_log_slots)));
}

extern "C" void request_shared_memory() {
    if (previous_request_hook)
        previous_request_hook();
    RequestAddinShmemSpace(shared_size());
    RequestNamedLWLockTranche(kTrancheName, 1);
}

// Runs in the postmaster at start and after every crash: a crash gives a fresh state, which
// is how the worker tells runs of an earlier postmaster cycle ("server restarted").
extern "C" void create_shared_memory() {
    if (previous_startup_hook)
        previous_startup_hook();
    LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
    bool found;
    state = static_cast<SharedState *>(ShmemInitStruct(kShmemName, shared_size(), &found));
    if (!found) {
        std::memset(static_cast<void *>(state), 0, shared_size());
        state->lock = &(GetNamedLWLockTranche(kTrancheName))->lock;
        state->initialized_at = GetCurrentTimestamp();
        state->launcher_procno = -1;
        state->scheduler_procno = -1;
        ConditionVariableInit(&state->slot_changed);
        ConditionVariableInit(&state->job_finished);
        state->slot_count = settings.run_log_slots;
    }
    LWLockRelease(AddinShmemInitLock);
}

void set_latch_of(int procno) {
    if (procno >= 0)
        SetLatch(&ProcGlobal->allProcs[procno].procLatch);
}

// Runs when a database worker's process exits, however it exits.
extern "C" void forget_database_worker(int, Datum) {
    if (!state)
        return;
    LWLockAcquire(state->lock, LW_EXCLUSIVE);
    for (DatabaseWorker &w : state->database_workers)
        if (w.pid == MyProcPid)
            w = DatabaseWorker{0, InvalidOid};
    LWLockRelease(state->lock);
}

} // namespace

SharedState *shared_state() { return state; }

void install_shared_state_hooks() {
    previous_request_hook = shmem_request_hook;
    shmem_request_hook = request_shared_memory;
    previous_startup_hook = shmem_startup_hook;
    shmem_startup_hook = create_shared_memory;
}

namespace {

// Sets the latch of the process whose procno is in `field` (-1: none running).
void wake(int SharedState::*field) {
    if (!state)
        return;
    LWLockAcquire(state->lock, LW_SHARED);
    const int procno = state->*field;
    LWLockRelease(state->lock);
    set_latch_of(procno);
}

} // namespace

void wake_scheduler() { wake(&SharedState::scheduler_procno); }

void wake_launcher() { wake(&SharedState::launcher_procno); }

void register_database_worker() {
    if (!state)
        return;
    LWLockAcquire(state->lock, LW_EXCLUSIVE);
    for (DatabaseWorker &w : state->database_workers)
        if (w.pid == 0) {
            w = DatabaseWorker{MyProcPid, MyDatabaseId};
            break;
        }
    LWLockRelease(state->lock);
    before_shmem_exit(forget_database_worker, 0);
}

void copy_to_buffer(char *to, std::size_t size, const char *from) {
    std::size_t n = std::strlen(from);
    if (n >= size) {
        n = size - 1;
        while (n > 0 && (static_cast<unsigned char>(from[n]) & 0xC0) == 0x80)
            --n; // not inside a multibyte character
    }
    std::memcpy(to, from, n);
    to[n] = '\0';
}

} // namespace usage_archive::pg
