#include "run_slots.hpp"

#include "error_bridge.hpp"
#include "shared_state.hpp"

extern "C" {
#include "access/transam.h"
#include "pgstat.h"
#include "storage/ipc.h"
#include "utils/wait_event.h"
}

namespace usage_archive::pg {
namespace {

// The slots of the calls in progress in this backend, for the exit callback. Runs do not
// nest, but a call refused for nesting has its slot while the outer call has its own.
struct ActiveSlot {
    int slot;
    std::int64_t run_id;
};
ActiveSlot active[4] = {{-1, 0}, {-1, 0}, {-1, 0}, {-1, 0}};
bool exit_callback_registered = false;

void remember_active(int slot, std::int64_t run_id) {
    for (ActiveSlot &a : active)
        if (a.slot < 0) {
            a = ActiveSlot{slot, run_id};
            return;
        }
}

void forget_active(int slot) {
    for (ActiveSlot &a : active)
        if (a.slot == slot)
            a = ActiveSlot{-1, 0};
}

constexpr char kReasonSeparator = '\x1f';

// How long a call that succeeded waits for the worker's 'running' row before it logs itself
// in the caller's transaction alone. The worker was woken when the call started; its insert
// is one short transaction, normally done long before the call ends.
constexpr int kWorkerAnswerMs = 2000;

// The counters a slot carries, in one order for writing and reading.
std::uint64_t RunCounters::*const kSlotCounters[11] = {
    &RunCounters::records,       &RunCounters::inserted,      &RunCounters::updated,
    &RunCounters::unchanged,     &RunCounters::skipped,       &RunCounters::rejected,
    &RunCounters::collapsed,     &RunCounters::payload_bytes, &RunCounters::http_requests,
    &RunCounters::http_retries,  &RunCounters::bytes_received};

bool same_run(const RunSlot &s, std::int64_t run_id) { return s.start != SlotStart::free && s.run_id == run_id; }

void fail_locked(RunSlot &s, const RunCounters *counters, const char *sqlstate, const char *message) {
    s.end = SlotEnd::failed;
    s.finished_at = GetCurrentTimestamp();
    copy_to_buffer(s.sqlstate, sizeof s.sqlstate, sqlstate);
    copy_to_buffer(s.error, sizeof s.error, message);
    if (!counters)
        return;
    for (std::size_t i = 0; i < 11; ++i)
        s.counters[i] = static_cast<std::int64_t>(counters->*kSlotCounters[i]);
    s.fetch_ms = counters->fetch_ms ? *counters->fetch_ms : -1.0;
    copy_to_buffer(s.write_method, sizeof s.write_method, counters->write_method.c_str());
    copy_to_buffer(s.api_request, sizeof s.api_request, counters->api_request.c_str());
    // Reasons joined until the buffer is full (they are clipped to 200 bytes each when made).
    std::size_t at = 0;
    for (const std::string &r : counters->rejected_reasons) {
        if (at + r.size() + 2 > sizeof s.rejected_reasons)
            break;
        if (at > 0)
            s.rejected_reasons[at++] = kReasonSeparator;
        std::memcpy(s.rejected_reasons + at, r.data(), r.size());
        at += r.size();
    }
    s.rejected_reasons[at] = '\0';
}

// A backend leaving with a call in progress (FATAL: pg_terminate_backend, a lost client):
// its transaction is about to be aborted, and nobody else would say why the run ended.
extern "C" void fail_active_slot_on_exit(int, Datum) {
    SharedState *shared = shared_state();
    if (!shared)
        return;
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    for (ActiveSlot &a : active) {
        if (a.slot < 0)
            continue;
        RunSlot &s = shared->slots[a.slot];
        if (same_run(s, a.run_id) && s.end == SlotEnd::none)
            fail_locked(s, nullptr, "57P01", "backend terminated during the run");
        a = ActiveSlot{-1, 0};
    }
    LWLockRelease(shared->lock);
    wake_scheduler();
}

// A scheduler is running for this database: it will write the slot's rows.
bool scheduler_serves_this_database(const SharedState *shared) {
    return shared->scheduler_procno >= 0 && shared->scheduler_database == MyDatabaseId;
}

} // namespace

int claim_run_slot(std::int64_t run_id, const std::string &source, const char *entry_point, const std::string &invoked_by) {
    SharedState *shared = shared_state();
    if (!shared || source.size() >= kSlotSourceBytes)
        return -1;
    const std::uint64_t xid = pg_call([]() noexcept { return U64FromFullTransactionId(GetTopFullTransactionId()); });
    int claimed = -1;
    bool served = false;
    const char *source_text = source.c_str(), *invoked_by_text = invoked_by.c_str();
    // All slots taken (a burst of short calls, each slot waiting for the worker's next write):
    // wait a little for the worker to free one rather than lose the trace of a failure.
    const TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), kWorkerAnswerMs);
    pg_call([&]() noexcept {
        bool sleeping = false;
        for (;;) {
            LWLockAcquire(shared->lock, LW_EXCLUSIVE);
            served = scheduler_serves_this_database(shared);
            for (int i = 0; served && i < shared->slot_count; ++i) {
                RunSlot &s = shared->slots[i];
                if (s.start != SlotStart::free)
                    continue;
                std::memset(static_cast<void *>(&s), 0, sizeof s);
                s.start = SlotStart::pending;
                s.end = SlotEnd::none;
                s.database = MyDatabaseId;
                s.backend_pid = MyProcPid;
                s.run_id = run_id;
                s.transaction_id = xid;
                s.started_at = GetCurrentTimestamp();
                s.fetch_ms = -1.0;
                copy_to_buffer(s.source, sizeof s.source, source_text);
                copy_to_buffer(s.entry_point, sizeof s.entry_point, entry_point);
                copy_to_buffer(s.invoked_by, sizeof s.invoked_by, invoked_by_text);
                claimed = i;
                break;
            }
            LWLockRelease(shared->lock);
            if (!served || claimed >= 0 || GetCurrentTimestamp() >= deadline)
                break;
            if (!sleeping) {
                ConditionVariablePrepareToSleep(&shared->slot_changed);
                sleeping = true;
            }
            wake_scheduler();
            (void)ConditionVariableTimedSleep(&shared->slot_changed, 50, PG_WAIT_EXTENSION);
        }
        if (sleeping)
            ConditionVariableCancelSleep();
    });
    if (!served)
        return -1; // no worker here: the caller's transaction logs the call
    if (claimed < 0) {
        const int slots = shared->slot_count;
        pg_call([run_id, slots]() noexcept {
            ereport(WARNING, (errmsg("usage_archive: all %d run log slots are in use: run " INT64_FORMAT
                                     " is logged in the caller's transaction only",
                                     slots, static_cast<int64>(run_id)),
                              errdetail("If this call fails or its transaction rolls back, archive_runs keeps no row "
                                        "of it."),
                              errhint("Raise usage_archive.run_log_slots (takes a server restart).")));
        });
        return -1;
    }
    if (!exit_callback_registered) {
        pg_call([]() noexcept { before_shmem_exit(fail_active_slot_on_exit, 0); });
        exit_callback_registered = true;
    }
    remember_active(claimed, run_id);
    wake_scheduler();
    return claimed;
}

bool await_running_row(int slot, std::int64_t run_id) {
    SharedState *shared = shared_state();
    const TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), kWorkerAnswerMs);
    bool logged = false;
    pg_call([shared, slot, run_id, deadline, &logged]() noexcept {
        ConditionVariablePrepareToSleep(&shared->slot_changed);
        for (;;) {
            LWLockAcquire(shared->lock, LW_EXCLUSIVE);
            RunSlot &s = shared->slots[slot];
            const SlotStart start = same_run(s, run_id) ? s.start : SlotStart::free;
            const bool give_up = start == SlotStart::pending && GetCurrentTimestamp() >= deadline;
            if (give_up)
                s.start = SlotStart::taken_over;
            LWLockRelease(shared->lock);
            if (start == SlotStart::logged) {
                logged = true;
                break;
            }
            if (give_up || start == SlotStart::free || start == SlotStart::taken_over)
                break;
            // pending (the worker was woken) or inserting (its short transaction is open)
            (void)ConditionVariableTimedSleep(&shared->slot_changed, 100, PG_WAIT_EXTENSION);
            CHECK_FOR_INTERRUPTS();
        }
        ConditionVariableCancelSleep();
    });
    if (!logged)
        pg_call([run_id]() noexcept {
            ereport(WARNING, (errmsg("usage_archive: the background worker did not log run " INT64_FORMAT
                                     " in time: the run is logged in the caller's transaction only",
                                     static_cast<int64>(run_id)),
                              errdetail("If this transaction rolls back, archive_runs keeps no row of the run.")));
        });
    return logged;
}

void release_run_slot(int slot, std::int64_t run_id) {
    SharedState *shared = shared_state();
    pg_call([shared, slot, run_id]() noexcept {
        LWLockAcquire(shared->lock, LW_EXCLUSIVE);
        RunSlot &s = shared->slots[slot];
        if (same_run(s, run_id))
            s.start = SlotStart::free;
        LWLockRelease(shared->lock);
    });
    forget_active(slot);
}

void fail_run_slot(int slot, std::int64_t run_id, const RunCounters &counters, const char *sqlstate,
                   const char *message) noexcept {
    SharedState *shared = shared_state();
    // LWLockAcquire raises only on programming errors (too many locks held); the lock is
    // never held across anything that can fail.
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    RunSlot &s = shared->slots[slot];
    if (same_run(s, run_id) && s.end == SlotEnd::none)
        fail_locked(s, &counters, sqlstate, message);
    LWLockRelease(shared->lock);
    forget_active(slot);
    wake_scheduler();
}

RunCounters counters_of_slot(const RunSlot &s) {
    RunCounters c;
    for (std::size_t i = 0; i < 11; ++i)
        c.*kSlotCounters[i] = static_cast<std::uint64_t>(s.counters[i]);
    if (s.fetch_ms >= 0)
        c.fetch_ms = s.fetch_ms;
    c.write_method = s.write_method;
    c.api_request = s.api_request;
    for (const char *p = s.rejected_reasons; *p;) {
        const char *end = std::strchr(p, kReasonSeparator);
        c.rejected_reasons.emplace_back(p, end ? static_cast<std::size_t>(end - p) : std::strlen(p));
        if (!end)
            break;
        p = end + 1;
    }
    return c;
}

} // namespace usage_archive::pg
