// What the API covered: per (service line, billing cycle), the days the API answered for,
// the days it listed, the totals it computed and the plan's limit, kept in
// usage_archive.billing_cycles for the data-quality checks (a day the API answered for and
// did not list is a zero, not a gap). Written by each starlink run, as the table's owner (it
// is the run's record of the API, like the run log); a cycle reported as it is stored costs
// no write.
#pragma once

#include "core/usage_record.hpp"

#include <cstdint>
#include <vector>

namespace usage_archive::pg {

// `cycles` of `payload_lines`, whose service_line_id is in `line_ids` (0: not archived, its cycles neither).
// Returns the number of cycles written (new or changed).
std::uint64_t write_billing_cycles(const std::vector<core::BillingCycle> &cycles,
                                   const std::vector<core::ServiceLineInfo> &payload_lines,
                                   const std::vector<std::int64_t> &line_ids, std::int64_t run_id);

} // namespace usage_archive::pg
