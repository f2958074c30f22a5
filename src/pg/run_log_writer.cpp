#include "run_log_writer.hpp"

#include "run_slots.hpp"
#include "shared_state.hpp"
#include "sql_arrays.hpp"
#include "worker_support.hpp"

#include <vector>

namespace usage_archive::pg {
namespace {

// What the worker writes for one slot, copied out of shared memory so that no lock is held
// while it writes.
struct SlotCopy {
    int slot;
    std::int64_t run_id;
    std::string source, entry_point, invoked_by;
    TimestampTz started_at, finished_at;
    int backend_pid;
    std::uint64_t transaction_id;
    // failed calls only
    RunCounters counters;
    std::string sqlstate, error;
};

SlotCopy copy_of(int index, const RunSlot &s, bool with_outcome) {
    SlotCopy c{index, s.run_id, s.source, s.entry_point, s.invoked_by, s.started_at, s.finished_at,
               s.backend_pid, s.transaction_id, {}, {}, {}};
    if (with_outcome) {
        c.counters = counters_of_slot(s);
        c.sqlstate = s.sqlstate;
        c.error = s.error;
    }
    return c;
}

SpiArg timestamptz_arg(TimestampTz t) { return SpiArg{TIMESTAMPTZOID, TimestampTzGetDatum(t)}; }

std::vector<SpiArg> identity_args(const SlotCopy &c) {
    return {int8_arg(c.run_id),
            text_arg(c.source),
            text_arg(c.entry_point),
            text_arg(c.invoked_by),
            timestamptz_arg(c.started_at),
            SpiArg{INT4OID, Int32GetDatum(c.backend_pid)},
            SpiArg{XID8OID, UInt64GetDatum(c.transaction_id)}};
}

void insert_running_row(const SlotCopy &c) {
    spi_execute("INSERT INTO usage_archive.archive_runs (run_id, source, entry_point, invoked_by, started_at, backend_pid, "
                "    transaction_id) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (run_id) DO NOTHING",
                identity_args(c));
}

void write_failed_row(const SlotCopy &c) {
    std::vector<SpiArg> args = identity_args(c);
    const std::vector<SpiArg> outcome = {timestamptz_arg(c.finished_at), text_arg(c.sqlstate),
                                         text_arg(c.sqlstate + ": " + c.error)};
    const std::vector<SpiArg> counts = run_counter_args(c.counters);
    args.insert(args.end(), outcome.begin(), outcome.end());
    args.insert(args.end(), counts.begin(), counts.end());
    const std::string values = run_counter_placeholders(11);
    const std::string sql =
        std::string("INSERT INTO usage_archive.archive_runs AS r (run_id, source, entry_point, invoked_by, started_at, "
                    "    backend_pid, transaction_id, status, finished_at, sqlstate, error, ") +
        kRunCounterColumns + ") VALUES ($1, $2, $3, $4, $5, $6, $7, 'failed', $8, $9, $10, " + values + ") " +
        "ON CONFLICT (run_id) DO UPDATE SET status = 'failed', finished_at = EXCLUDED.finished_at, "
        "sqlstate = EXCLUDED.sqlstate, error = EXCLUDED.error, (" +
        kRunCounterColumns + ") = (" + values + ")";
    spi_execute(sql.c_str(), args);
}

} // namespace

void write_run_log() {
    SharedState *shared = shared_state();
    std::vector<SlotCopy> starts, failures;
    pg_call([]() noexcept { LWLockAcquire(shared_state()->lock, LW_EXCLUSIVE); });
    for (int i = 0; i < shared->slot_count; ++i) {
        RunSlot &s = shared->slots[i];
        if (s.start == SlotStart::free || s.database != MyDatabaseId)
            continue;
        if (s.end == SlotEnd::failed && s.start != SlotStart::inserting) {
            failures.push_back(copy_of(i, s, true));
        } else if (s.start == SlotStart::pending && s.end == SlotEnd::none) {
            s.start = SlotStart::inserting;
            starts.push_back(copy_of(i, s, false));
        }
    }
    LWLockRelease(shared->lock);
    if (starts.empty() && failures.empty())
        return;
    const bool written = in_worker_transaction("writing the run log", [&] {
        for (const SlotCopy &c : starts)
            insert_running_row(c);
        for (const SlotCopy &c : failures)
            write_failed_row(c);
    });
    pg_call([]() noexcept { LWLockAcquire(shared_state()->lock, LW_EXCLUSIVE); });
    for (const SlotCopy &c : starts) {
        RunSlot &s = shared->slots[c.slot];
        if (s.run_id == c.run_id && s.start == SlotStart::inserting)
            s.start = written ? SlotStart::logged : SlotStart::pending;
    }
    if (written)
        for (const SlotCopy &c : failures) {
            RunSlot &s = shared->slots[c.slot];
            if (s.run_id == c.run_id && s.start != SlotStart::free)
                s.start = SlotStart::free;
        }
    LWLockRelease(shared->lock);
    pg_call([shared]() noexcept { ConditionVariableBroadcast(&shared->slot_changed); });
}

void settle_ended_runs(bool after_start) {
    SharedState *shared = shared_state();
    std::vector<std::int64_t> in_progress;
    pg_call([]() noexcept { LWLockAcquire(shared_state()->lock, LW_SHARED); });
    for (int i = 0; i < shared->slot_count; ++i)
        if (shared->slots[i].start != SlotStart::free)
            in_progress.push_back(shared->slots[i].run_id);
    const TimestampTz cycle_start = shared->initialized_at;
    LWLockRelease(shared->lock);
    std::uint64_t settled = 0;
    in_worker_transaction("settling runs that outlived their call", [&] {
        // A row changed since this statement's snapshot (its call committed meanwhile) is
        // re-checked against its newest version by the UPDATE itself, and left alone.
        settled = spi_execute(
            "UPDATE usage_archive.archive_runs SET finished_at = $3, "
            "    status = CASE WHEN started_at < $2 THEN 'failed' ELSE 'rolled_back' END, "
            "    sqlstate = CASE WHEN started_at < $2 THEN '57P02' END, "
            "    error = CASE WHEN started_at < $2 THEN '57P02: server restarted during the run' END "
            "WHERE status = 'running' AND run_id <> ALL ($1) "
            "  AND (started_at < $2 OR pg_catalog.pg_xact_status(transaction_id) IN ('committed', 'aborted'))",
            {int8_array_arg(in_progress), timestamptz_arg(cycle_start), timestamptz_arg(GetCurrentTimestamp())});
    });
    if (after_start && settled > 0)
        pg_call([settled]() noexcept {
            ereport(LOG, (errmsg("usage_archive: settled " UINT64_FORMAT " archive runs left running by an earlier "
                                 "server or session",
                                 static_cast<uint64>(settled))));
        });
}

void forget_run_log_writes_in_flight() {
    SharedState *shared = shared_state();
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    for (int i = 0; i < shared->slot_count; ++i)
        if (shared->slots[i].start == SlotStart::inserting && shared->slots[i].database == MyDatabaseId)
            shared->slots[i].start = SlotStart::pending;
    LWLockRelease(shared->lock);
    ConditionVariableBroadcast(&shared->slot_changed);
}

} // namespace usage_archive::pg
