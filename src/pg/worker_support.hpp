// What usage_archive's background worker processes share: signals, transactions of their own,
// starting dynamic workers, and the interruptible sleep between rounds.
//
//   launcher   (static, shared catalogs only: it is in no database, so it never stands in
//              the way of DROP DATABASE) keeps a scheduler running for usage_archive.database
//   scheduler  (dynamic, in that database) writes the durable run log, marks runs that
//              outlived their call, starts job and sweep workers, applies retention
//   job        (dynamic) runs one async archive job as the role that queued it
//   sweep      (dynamic) checks the tables registered for uniqueness
#pragma once

#include "error_bridge.hpp"
#include "spi_support.hpp"

#include <functional>
#include <string>

extern "C" {
#include "postmaster/bgworker.h"
}

namespace usage_archive::pg {

// SIGHUP reloads the configuration at the next round; SIGTERM ends the loop (launcher and
// scheduler). Job and sweep workers keep PostgreSQL's own `die`, so a query in progress is
// interrupted as in a backend.
void set_up_loop_signals();
void set_up_backend_signals();

// Whether SIGTERM asked the process to end; reloads the configuration when SIGHUP asked.
bool shutdown_requested();

// Sleeps until the latch is set or `ms` have passed (reported as an Extension wait).
void sleep_on_latch(long ms);

// Why a worker transaction failed.
struct WorkerError {
    std::string sqlstate;
    std::string message;
};

// Runs fn in a transaction of its own with SPI connected, and commits. An error is logged
// with `activity` (and returned in *error) and the transaction rolled back; returns whether
// it committed.
bool in_worker_transaction(const char *activity, const std::function<void()> &fn, WorkerError *error = nullptr);

// A worker of this library: shared memory, a database connection, started once recovery is
// over, never restarted unless `restart_seconds` says so.
BackgroundWorker worker_definition(const char *type, const char *name, const char *function,
                                   int restart_seconds = BGW_NEVER_RESTART);

// Runs a worker process's body: an error that escapes it is logged (each round logs its own)
// and ends the body, so the process can exit in its own way.
void run_worker_body(const char *process, const std::function<void()> &body);

// Starts a dynamic worker of usage_archive; nullptr (and a LOG line) when no worker slot is
// free (max_worker_processes). `database` is passed in bgw_extra.
BackgroundWorkerHandle *start_worker(const char *type, const char *name, const char *function, Datum argument,
                                     Oid database);

// The database a dynamic worker was started for.
Oid worker_database();

// Connects a worker to the database it was started for, as the bootstrap superuser, with
// search_path = pg_catalog, pg_temp for the whole session: a database's own setting (ALTER
// DATABASE ... SET search_path, which its owner may change) must not decide which operator or
// type the worker's statements use with a superuser's rights.
void connect_to_worker_database();

} // namespace usage_archive::pg
