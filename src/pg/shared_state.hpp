// What backends and the background workers share, in PostgreSQL shared memory. It exists only
// when usage_archive is in shared_preload_libraries (shared_state() is nullptr otherwise, and
// every user of it has a behaviour for that case). It holds plain values only: no pointer into
// one process's memory, so any process may read it (pg_net's fault, avoided).
#pragma once

#include "pg_prelude.hpp"

#include "http/request_budget.hpp"

extern "C" {
#include "storage/condition_variable.h"
#include "storage/lwlock.h"
#include "utils/timestamp.h"
}

namespace usage_archive::pg {

// One archive call in progress, handed from its backend to the worker that writes its
// archive_runs row in transactions of its own (see run_slots.hpp for the protocol).
enum class SlotStart : std::uint8_t {
    free,       // the slot is unused
    pending,    // the worker has yet to insert the 'running' row
    inserting,  // the worker is inserting it (its transaction is open)
    logged,     // the 'running' row is committed
    taken_over, // the backend wrote the row itself: the worker must not insert it
};
enum class SlotEnd : std::uint8_t {
    none,   // the call is in progress (or succeeded and the backend is writing its row)
    failed, // the call failed: the worker writes status 'failed' with the error
};

constexpr std::size_t kSlotSourceBytes = 256;
constexpr std::size_t kSlotErrorBytes = 1536;
constexpr std::size_t kSlotReasonsBytes = 2048;
constexpr std::size_t kSlotRequestBytes = 1100; // RunCounters::api_request is cut to 1 kB

struct RunSlot {
    SlotStart start;
    SlotEnd end;
    Oid database;
    int backend_pid;
    std::int64_t run_id;
    std::uint64_t transaction_id; // the caller's top-level FullTransactionId
    TimestampTz started_at;
    TimestampTz finished_at;
    char source[kSlotSourceBytes];
    char entry_point[32];
    char invoked_by[NAMEDATALEN];
    // Set with `end`: what the call reached before failing.
    std::int64_t counters[11]; // RunCounters, see slot_counters() in run_slots.cpp
    double fetch_ms;           // < 0: none
    char write_method[8];
    char sqlstate[6];
    char error[kSlotErrorBytes];
    char rejected_reasons[kSlotReasonsBytes]; // '\x1f'-separated
    char api_request[kSlotRequestBytes];      // RunCounters::api_request
};

// A source's shared request budget, keyed by (database, source name).
constexpr int kBudgetEntries = 256;
struct BudgetEntry {
    bool used;
    Oid database;
    TimestampTz last_used;
    char source[kSlotSourceBytes];
    http::MinuteWindow window;
};

// The background workers of this cluster that are connected to a database.
constexpr int kMaxDatabaseWorkers = 72; // the scheduler, a sweep and up to 64 jobs, with room
struct DatabaseWorker {
    int pid;
    Oid database;
};

struct SharedState {
    LWLock *lock; // guards everything below but the condition variables
    TimestampTz initialized_at; // this postmaster cycle's start: runs started before it died with it
    int launcher_procno;        // -1 when not running
    int scheduler_procno;       // -1 when not running
    Oid scheduler_database;
    Oid dropping_database; // a DROP DATABASE asked the workers to leave it
    TimestampTz drop_requested_at;
    ConditionVariable slot_changed; // a slot's start state moved on (backends wait for 'logged')
    ConditionVariable job_finished; // an async job ended (wait_for_job)
    DatabaseWorker database_workers[kMaxDatabaseWorkers];
    BudgetEntry budgets[kBudgetEntries];
    int slot_count; // usage_archive.run_log_slots at server start
    RunSlot slots[FLEXIBLE_ARRAY_MEMBER];
};

// nullptr unless usage_archive was preloaded.
SharedState *shared_state();

// Called by _PG_init while shared_preload_libraries is being processed: asks for the shared
// memory and installs the hooks that create it.
void install_shared_state_hooks();

// Sets the latch of the scheduler (run log work, a queued job) or the launcher.
void wake_scheduler();
void wake_launcher();

// A database worker announces itself (so DROP DATABASE can ask it to leave) and is forgotten
// when its process exits.
void register_database_worker();

// Copies `from` into a fixed buffer, cut at a UTF-8 character boundary.
void copy_to_buffer(char *to, std::size_t size, const char *from);

} // namespace usage_archive::pg
