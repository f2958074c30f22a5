// The durable run log, backend side: one shared-memory slot per archive call in progress, so
// that the background worker writes the call's archive_runs row in transactions of its own.
//
//   call starts   the backend claims a slot (state pending) and wakes the worker, which
//                 inserts and commits the row as 'running' (inserting -> logged): other
//                 sessions see it while the call runs.
//   call succeeds the backend waits for that row (the worker was woken long before) and
//                 writes 'succeeded' with its counters *in the caller's transaction*: the row says
//                 succeeded exactly when the archived rows are committed. If the transaction
//                 (or a savepoint around the call) rolls back, the row stays 'running' and
//                 the worker, finding it with no slot and its transaction over, marks it
//                 'rolled_back'. Then the slot is released.
//   call fails    the backend puts the error and counters into the slot (end failed); the
//                 worker writes 'failed' in its own transaction, whatever the caller's does.
//   backend dies  a FATAL exit (pg_terminate_backend) fails the slot ("backend terminated");
//                 a crash resets shared memory, and the worker marks every 'running' row of
//                 an earlier postmaster cycle failed ("server restarted").
//
// No slot (usage_archive not preloaded, no scheduler in this database -- it serves
// usage_archive.database -- or every slot taken) means the call logs itself in the caller's
// transaction, as without the worker.
#pragma once

#include "run_log.hpp"

#include <cstdint>
#include <string>

namespace usage_archive::pg {

// Claims a slot for a call that starts now; -1 when the call must log itself. A WARNING says
// so when all usage_archive.run_log_slots slots are taken.
int claim_run_slot(std::int64_t run_id, const std::string &source, const char *entry_point, const std::string &invoked_by);

// Before the backend writes the call's final row: waits (at most a few seconds) for the
// worker's committed 'running' row, which keeps a trace of the call if the caller's
// transaction rolls back. Without it in time the backend takes the row over (the worker no
// longer inserts it), with a WARNING, and returns false.
bool await_running_row(int slot, std::int64_t run_id);

// The call is over and its row written: the slot is free again.
void release_run_slot(int slot, std::int64_t run_id);

// The call failed: the worker writes status 'failed' with this error and these counters.
// Touches shared memory only, so it is safe while an error is being handled.
void fail_run_slot(int slot, std::int64_t run_id, const RunCounters &counters, const char *sqlstate,
                   const char *message) noexcept;

struct RunSlot;
// The counters a failed slot carries, for the worker that writes them.
RunCounters counters_of_slot(const RunSlot &slot);

} // namespace usage_archive::pg
