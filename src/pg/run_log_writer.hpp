// The durable run log, worker side (the protocol is in run_slots.hpp).
#pragma once

namespace usage_archive::pg {

// Inserts the 'running' rows of calls that started, and writes the 'failed' rows of calls
// that failed, each round in one transaction of the worker's own.
void write_run_log();

// Settles 'running' rows whose call is over but that nobody will write again: the call
// succeeded in a transaction that then rolled back (or whose session ended first) ->
// 'rolled_back'; the server restarted during the call -> 'failed'. `after_start` is set on
// the scheduler's first round, to report how many it settled.
void settle_ended_runs(bool after_start);

// On the scheduler's exit: slots it was inserting go back to waiting for the next one.
void forget_run_log_writes_in_flight();

} // namespace usage_archive::pg
