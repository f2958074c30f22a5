// Retention of the logs (usage_archive.run_log_retention, correction_log_retention): the
// worker deletes rows older than the setting in small batches, each its own transaction, so
// no lock is held for long and the run log keeps being written in between.
#pragma once

namespace usage_archive::pg {

void apply_retention();

} // namespace usage_archive::pg
