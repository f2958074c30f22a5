#include "run_log.hpp"

#include "owner_rights.hpp"
#include "sql_arrays.hpp"

namespace usage_archive::pg {

// The run log is written with its owner's rights: archiving needs no write privilege on it,
// so no archiving role can write or rewrite run rows of its own.

std::int64_t start_run(const std::string &source, const char *entry_point) {
    // The invoking role, named before the statement runs as the owner.
    const char *role = pg_call([] { return GetUserNameFromId(GetUserId(), false); });
    const std::string invoked_by(role);
    std::int64_t run_id = 0;
    with_owner_rights("usage_archive", "archive_runs", [&] {
        spi_execute("INSERT INTO usage_archive.archive_runs (source, entry_point, invoked_by) VALUES ($1, $2, $3) "
                    "RETURNING run_id",
                    {text_arg(source), text_arg(entry_point), text_arg(invoked_by)});
        run_id = spi_int64(0, 1);
        spi_free_result();
    });
    return run_id;
}

void finish_run(std::int64_t run_id, const RunCounters &c) {
    std::vector<std::optional<std::string>> reasons(c.rejected_reasons.begin(), c.rejected_reasons.end());
    SpiArg method = c.write_method.empty() ? SpiArg{TEXTOID, Datum(0), true} : text_arg(c.write_method);
    const std::vector<SpiArg> args = {
        int8_arg(run_id), int8_arg(static_cast<std::int64_t>(c.records)),
        int8_arg(static_cast<std::int64_t>(c.inserted)), int8_arg(static_cast<std::int64_t>(c.updated)),
        int8_arg(static_cast<std::int64_t>(c.unchanged)), int8_arg(static_cast<std::int64_t>(c.skipped)),
        int8_arg(static_cast<std::int64_t>(c.rejected)), int8_arg(static_cast<std::int64_t>(c.collapsed)),
        text_array_arg(reasons), method, int8_arg(static_cast<std::int64_t>(c.payload_bytes)),
        int8_arg(static_cast<std::int64_t>(c.http_requests)), int8_arg(static_cast<std::int64_t>(c.http_retries)),
        int8_arg(static_cast<std::int64_t>(c.bytes_received)),
        c.fetch_ms ? SpiArg{FLOAT8OID, Float8GetDatum(*c.fetch_ms)} : SpiArg{FLOAT8OID, Datum(0), true}};
    with_owner_rights("usage_archive", "archive_runs", [&] {
        spi_execute("UPDATE usage_archive.archive_runs SET status = 'succeeded', finished_at = pg_catalog.clock_timestamp(), "
                    "records = $2, inserted = $3, updated = $4, unchanged = $5, skipped = $6, rejected = $7, "
                    "collapsed = $8, rejected_reasons = $9, write_method = $10, payload_bytes = $11, http_requests = $12, "
                    "http_retries = $13, bytes_received = $14, fetch_ms = $15 WHERE run_id OPERATOR(pg_catalog.=) $1",
                    args);
    });
}

} // namespace usage_archive::pg
