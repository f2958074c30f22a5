// Partitions of daily_usage_history made before they are needed: a run creates the ones its
// rows fall into, the background worker those of the next `premake` periods. The partitioning
// itself (usage_archive.partition_history) and the creation are SQL functions of the extension
// (usage_archive--0.7.0--0.8.0.sql); this is where the C++ calls them.
#pragma once

#include "write_batch.hpp"

namespace usage_archive::pg {

// Creates the partitions the batch's days need (nothing when the history is not partitioned by
// period, or every partition exists), with the history owner's rights: the archiving role needs
// no right to create tables. Before the run writes (or reads) the history.
void prepare_history_partitions(const WriteBatch &batch);

// The background worker's round: the current period and `premake` periods ahead, in a
// transaction of its own (a failure is logged and retried next round).
void premake_history_partitions();

} // namespace usage_archive::pg
