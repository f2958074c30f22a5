// Maps a payload's service line numbers to service_lines rows in bulk: one read, at most one
// insert of new lines and one update of changed metadata, whatever the number of lines.
#pragma once

#include "source_config.hpp"

#include "core/usage_record.hpp"

#include <cstdint>
#include <vector>

namespace usage_archive::pg {

// Returns the service_line_id of each payload line, in payload order; 0 marks a line that
// is unknown and was not registered because the source has register_new_service_lines
// false (its records count as skipped).
//
// Lines whose metadata (account number, plan limit) is unchanged and that were already seen
// today are not written: a re-run must cost no writes. last_seen_at therefore has day
// resolution.
std::vector<std::int64_t> resolve_service_lines(const SourceConfig &source, const std::vector<core::ServiceLineInfo> &lines);

} // namespace usage_archive::pg
