// The usage_spike check of check_data_quality: each line's days since `since` against the
// median of its trailing 28 days (core/usage_spikes.hpp), usage_archive.spike_factor times
// it and above usage_archive.spike_floor_gb.
#pragma once

#include "quality_findings.hpp"

extern "C" {
#include "utils/date.h"
}

namespace usage_archive::pg {

void usage_spikes(QualityFindings &out, const std::optional<std::string> &source, DateADT since);

} // namespace usage_archive::pg
