// usage_archive.archive_runs: one row per archive call, saying what it did.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace usage_archive::pg {

struct RunCounters {
    std::uint64_t records = 0; // in the payload: the sum of the six counters below
    std::uint64_t inserted = 0;
    std::uint64_t updated = 0;
    std::uint64_t unchanged = 0;
    std::uint64_t skipped = 0;
    std::uint64_t rejected = 0;
    std::uint64_t collapsed = 0;
    std::vector<std::string> rejected_reasons;
    std::string write_method; // "copy" or "sql" when rows were inserted
    std::uint64_t payload_bytes = 0;
    // archive_usage only
    std::uint64_t http_requests = 0;
    std::uint64_t http_retries = 0;
    std::uint64_t bytes_received = 0;
    std::optional<double> fetch_ms;
};

// Inserts the run's row with status 'running' and returns its run_id.
std::int64_t start_run(const std::string &source, const char *entry_point);

// Records the counters and status 'succeeded'.
void finish_run(std::int64_t run_id, const RunCounters &counters);

} // namespace usage_archive::pg
