// The usage_archive.* configuration settings (GUCs).
#pragma once

namespace usage_archive::pg {

enum class WriteMethod { automatic = 0, sql = 1 };

struct Settings {
    double tolerance_gb; // usage_archive.tolerance_gb
    double max_daily_gb; // usage_archive.max_daily_gb
    int write_method;    // usage_archive.write_method (WriteMethod)
    int write_chunk_records; // usage_archive.write_chunk_records
    // HTTP (archive_usage)
    int max_concurrent_requests; // usage_archive.max_concurrent_requests
    int max_retries;             // usage_archive.max_retries
    int connect_timeout_ms;      // usage_archive.connect_timeout_ms
    int request_timeout_ms;      // usage_archive.request_timeout_ms
    int max_response_bytes;      // usage_archive.max_response_bytes
    char *allowed_hosts;         // usage_archive.allowed_hosts (superuser)
    char *ca_file;               // usage_archive.ca_file (superuser)
    // The background worker
    char *database;                 // usage_archive.database
    int worker_naptime_ms;          // usage_archive.worker_naptime
    int max_parallel_jobs;          // usage_archive.max_parallel_jobs
    int run_log_slots;              // usage_archive.run_log_slots (server start)
    int run_log_retention_s;        // usage_archive.run_log_retention, 0 = forever
    int correction_log_retention_s; // usage_archive.correction_log_retention, 0 = forever
    int sweep_interval_s;           // usage_archive.sweep_interval, 0 = off
    // Data-quality checks
    double spike_factor;   // usage_archive.spike_factor
    double spike_floor_gb; // usage_archive.spike_floor_gb
};

extern Settings settings;

void define_settings();

} // namespace usage_archive::pg
