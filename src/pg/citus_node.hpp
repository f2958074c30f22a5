// Citus, the distributed PostgreSQL, seen without depending on it: by its extension row and its
// functions, looked up by name when a run asks.
#pragma once

namespace usage_archive::pg {

// The citus extension is installed in this database.
bool citus_installed();

// Raises 55000 on a Citus worker node (citus_is_coordinator() is false there). Archive runs
// belong on the coordinator: a worker's own sequences would hand out service_line_ids the
// coordinator has given out already, and its writes would bypass the distribution.
void refuse_on_citus_worker();

} // namespace usage_archive::pg
