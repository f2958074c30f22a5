#include "retention.hpp"

#include "settings.hpp"
#include "worker_support.hpp"

namespace usage_archive::pg {
namespace {

#define BATCH_ROWS 1000
#define TEXT_OF(x) #x
#define NUMBER_TEXT(x) TEXT_OF(x)
constexpr long kBatchRows = BATCH_ROWS;
// At most this many batches a round: a large backlog is worked off over several rounds.
constexpr int kBatchesPerRound = 20;

// Deletes rows of `delete_sql` ($1: the retention in seconds) batch by batch while each
// batch is full. Returns false when a batch failed (already logged).
bool delete_in_batches(const char *activity, const char *delete_sql, int retention_s) {
    for (int batch = 0; batch < kBatchesPerRound; ++batch) {
        std::uint64_t deleted = 0;
        if (!in_worker_transaction(activity, [&] {
                deleted = spi_execute(delete_sql, {SpiArg{INT4OID, Int32GetDatum(retention_s)}});
            }))
            return false;
        if (deleted < static_cast<std::uint64_t>(kBatchRows) || shutdown_requested())
            break;
    }
    return true;
}

} // namespace

void apply_retention() {
    if (settings.run_log_retention_s > 0) {
        delete_in_batches("deleting archive runs past usage_archive.run_log_retention",
                          "DELETE FROM usage_archive.archive_runs WHERE run_id IN ("
                          "  SELECT run_id FROM usage_archive.archive_runs "
                          "  WHERE started_at < pg_catalog.now() - pg_catalog.make_interval(secs => $1) "
                          "    AND status <> 'running' ORDER BY started_at LIMIT " NUMBER_TEXT(BATCH_ROWS) ")",
                          settings.run_log_retention_s);
        delete_in_batches("deleting async jobs past usage_archive.run_log_retention",
                          "DELETE FROM usage_archive.jobs WHERE job_id IN ("
                          "  SELECT job_id FROM usage_archive.jobs "
                          "  WHERE finished_at < pg_catalog.now() - pg_catalog.make_interval(secs => $1) "
                          "  ORDER BY finished_at LIMIT " NUMBER_TEXT(BATCH_ROWS) ")",
                          settings.run_log_retention_s);
    }
    if (settings.correction_log_retention_s > 0)
        delete_in_batches("deleting corrections past usage_archive.correction_log_retention",
                          // By the primary key, (service_line_id, correction_id) since 0.8.0.
                          "DELETE FROM usage_archive.usage_corrections WHERE (service_line_id, correction_id) IN ("
                          "  SELECT service_line_id, correction_id FROM usage_archive.usage_corrections "
                          "  WHERE corrected_at < pg_catalog.now() - pg_catalog.make_interval(secs => $1) "
                          "  ORDER BY corrected_at LIMIT " NUMBER_TEXT(BATCH_ROWS) ")",
                          settings.correction_log_retention_s);
}

#undef NUMBER_TEXT
#undef TEXT_OF
#undef BATCH_ROWS

} // namespace usage_archive::pg
