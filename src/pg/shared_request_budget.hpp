// One request budget per source for the whole cluster: the vendor limits requests per
// account, not per session, so every backend and job that fetches for a source takes from
// the same window in shared memory (http::MinuteWindow, keyed by database and source name).
#pragma once

#include "source_config.hpp"

#include "http/request_budget.hpp"

namespace usage_archive::pg {

// The budget a fetch of `source` takes its requests from: the shared one when usage_archive
// is preloaded, otherwise (or for a source name too long for shared memory, or when all
// shared entries are busy) one kept by this backend across its runs.
http::RequestBudget &request_budget_for(const SourceConfig &source);

} // namespace usage_archive::pg
