// When is an archived value "the same" as a re-fetched one? Within the tolerance
// (usage_archive.tolerance_gb, default 0.01 GB), compared on every value column. Equal
// values must cost no write at all, so this decides between `unchanged` and `updated`.
#pragma once

#include "history_row.hpp"
#include "usage_record.hpp"

#include <optional>

namespace usage_archive::core {

// The tolerance in the stored precision (thousandths of a GB), rounded to nearest.
MilliGb tolerance_to_milli(double tolerance_gb);

// A missing value (SQL NULL) differs from any present one, and equals another missing one.
bool values_differ(std::optional<MilliGb> stored, std::optional<MilliGb> incoming, MilliGb tolerance);

// True when any column of the incoming record differs from the stored row beyond tolerance.
bool usage_differs(const StoredUsage &stored, const UsageRecord &incoming, MilliGb tolerance);

} // namespace usage_archive::core
