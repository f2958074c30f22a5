// The uniqueness sweep (usage_archive.sweep_interval): a background worker checks every table
// registered in usage_archive_private.uniqueness_targets for keys that occur more than once,
// and records what it finds in usage_archive.duplicate_findings (table, key, copies, found_at),
// replacing the table's earlier findings. A table whose key a unique index enforces cannot
// hold duplicates and is not scanned. Each table is read with its owner's rights, as
// autovacuum does, so no function of the owner's runs with more.
#pragma once

namespace usage_archive::pg {

// Scheduler side: starts a sweep worker when one is due and none is running.
void start_due_sweep();

} // namespace usage_archive::pg
