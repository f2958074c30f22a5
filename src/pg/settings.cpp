#include "settings.hpp"

#include "pg_prelude.hpp"

extern "C" {
#include "utils/guc.h"
}

namespace usage_archive::pg {

// Each value is set by its DefineCustom*Variable call below, which is where its default is
// written (once).
Settings settings = {};

namespace {
const struct config_enum_entry kWriteMethods[] = {
    {"auto", static_cast<int>(WriteMethod::automatic), false},
    {"sql", static_cast<int>(WriteMethod::sql), false},
    {nullptr, 0, false},
};
} // namespace

void define_settings() {
    DefineCustomRealVariable("usage_archive.tolerance_gb",
                             "Differences up to this many GB between an archived and a re-fetched value count as unchanged.",
                             "Compared on every value column; unchanged rows are not written at all.",
                             &settings.tolerance_gb, 0.01, 0.0, 1000.0, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomRealVariable("usage_archive.max_daily_gb",
                             "Largest plausible value, in GB, of one usage field for one day; larger values are rejected.",
                             "Guards against unit mix-ups and corrupt records.", &settings.max_daily_gb, 10000.0, 1.0,
                             1.0e10, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomRealVariable("usage_archive.spike_factor",
                             "check_data_quality reports a day above this many times its line's trailing 28-day median.",
                             "Days without a row count as zero in the median (the API omits days without usage).",
                             &settings.spike_factor, 3.0, 1.0, 1000.0, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomRealVariable("usage_archive.spike_floor_gb",
                             "check_data_quality reports a usage spike only above this many GB a day.",
                             "Keeps nearly idle lines from reporting every small day as a spike.", &settings.spike_floor_gb,
                             10.0, 0.0, 1.0e9, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomEnumVariable("usage_archive.write_method",
                             "How new rows are inserted: auto (COPY machinery where it is safe) or sql (INSERT statements).",
                             "auto falls back to sql by itself when the table has row-level security, rules, or is "
                             "managed by another extension.",
                             &settings.write_method, static_cast<int>(WriteMethod::automatic), kWriteMethods, PGC_USERSET,
                             0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("usage_archive.write_chunk_records",
                            "Records an archive run parses before it writes them, while the rest of the payload is "
                            "still being parsed or fetched.",
                            "A run holds about 100 bytes per record of a chunk; smaller chunks cost more statements.",
                            &settings.write_chunk_records, 65536, 1, INT_MAX, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("usage_archive.max_concurrent_requests",
                            "Pages of one archive_usage run fetched at the same time.", nullptr,
                            &settings.max_concurrent_requests, 4, 1, 64, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("usage_archive.max_retries",
                            "Retries of a request answered with 429 or 5xx before the run fails.", nullptr,
                            &settings.max_retries, 5, 0, 20, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("usage_archive.connect_timeout_ms", "Time allowed to connect to the vendor API.", nullptr,
                            &settings.connect_timeout_ms, 10000, 1, 600000, PGC_USERSET, GUC_UNIT_MS, nullptr, nullptr,
                            nullptr);
    DefineCustomIntVariable("usage_archive.request_timeout_ms", "Time allowed for one whole HTTP request.", nullptr,
                            &settings.request_timeout_ms, 60000, 1, 3600000, PGC_USERSET, GUC_UNIT_MS, nullptr, nullptr,
                            nullptr);
    DefineCustomIntVariable("usage_archive.max_response_bytes",
                            "Largest response body accepted; a larger one aborts the transfer and fails the run.",
                            nullptr, &settings.max_response_bytes, 256 << 20, 1024, INT_MAX, PGC_SUSET, GUC_UNIT_BYTE,
                            nullptr, nullptr, nullptr);
    DefineCustomStringVariable("usage_archive.allowed_hosts",
                               "Hosts archive_usage may connect to, comma-separated; empty: the hosts of the "
                               "registered sources' URLs.",
                               nullptr, &settings.allowed_hosts, "", PGC_SUSET, 0, nullptr, nullptr, nullptr);
    DefineCustomStringVariable("usage_archive.ca_file",
                               "CA certificates file for verifying the vendor API's TLS certificate; empty: the "
                               "system's. Verification is always on.",
                               nullptr, &settings.ca_file, "", PGC_SUSET, 0, nullptr, nullptr, nullptr);
    // The background worker (with shared_preload_libraries = 'usage_archive'). All but
    // run_log_slots take effect on reload (SIGHUP).
    DefineCustomStringVariable("usage_archive.database",
                               "Database whose run log, async jobs, retention and uniqueness sweeps the background worker "
                               "serves.",
                               "Runs in other databases are logged in the caller's transaction only.",
                               &settings.database, "postgres", PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("usage_archive.worker_naptime",
                            "How long the background worker sleeps between rounds when nobody wakes it.", nullptr,
                            &settings.worker_naptime_ms, 10000, 100, 3600000, PGC_SIGHUP, GUC_UNIT_MS, nullptr, nullptr,
                            nullptr);
    DefineCustomIntVariable("usage_archive.max_parallel_jobs",
                            "Async archive jobs (archive_usage_async) run at the same time, each in a background worker.",
                            "Also limited by max_worker_processes.", &settings.max_parallel_jobs, 2, 0, 64, PGC_SIGHUP, 0,
                            nullptr, nullptr, nullptr);
    // Sizes shared memory: only a library being preloaded may define it.
    if (process_shared_preload_libraries_in_progress)
        DefineCustomIntVariable("usage_archive.run_log_slots",
                                "Archive runs in progress whose run log the background worker keeps; more at once are "
                                "logged in the caller's transaction, with a warning.",
                                nullptr, &settings.run_log_slots, 64, 1, 4096, PGC_POSTMASTER, 0, nullptr, nullptr,
                                nullptr);
    DefineCustomIntVariable("usage_archive.run_log_retention",
                            "Finished archive_runs rows (and finished jobs) older than this are deleted by the background "
                            "worker; 0 keeps them forever.",
                            nullptr, &settings.run_log_retention_s, 90 * 86400, 0, INT_MAX, PGC_SIGHUP, GUC_UNIT_S, nullptr,
                            nullptr, nullptr);
    DefineCustomIntVariable("usage_archive.correction_log_retention",
                            "usage_corrections rows older than this are deleted by the background worker; 0 (the "
                            "default) keeps them forever.",
                            nullptr, &settings.correction_log_retention_s, 0, 0, INT_MAX, PGC_SIGHUP, GUC_UNIT_S, nullptr,
                            nullptr, nullptr);
    DefineCustomIntVariable("usage_archive.sweep_interval",
                            "How often the background worker checks the tables registered for uniqueness for duplicate "
                            "keys; 0 turns the sweep off.",
                            nullptr, &settings.sweep_interval_s, 3600, 0, INT_MAX, PGC_SIGHUP, GUC_UNIT_S, nullptr, nullptr,
                            nullptr);
    MarkGUCPrefixReserved("usage_archive");
}

} // namespace usage_archive::pg
