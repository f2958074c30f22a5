#include "tolerance.hpp"

#include <cmath>
#include <cstdlib>

namespace usage_archive::core {

MilliGb tolerance_to_milli(double tolerance_gb) { return std::llround(tolerance_gb * 1000.0); }

bool values_differ(std::optional<MilliGb> stored, std::optional<MilliGb> incoming, MilliGb tolerance) {
    if (stored.has_value() != incoming.has_value())
        return true;
    if (!stored)
        return false;
    return std::llabs(*stored - *incoming) > tolerance;
}

bool usage_differs(const StoredUsage &stored, const UsageRecord &incoming, MilliGb tolerance) {
    const StoredUsage in = stored_form(incoming);
    for (std::size_t i = 0; i < kHistoryValueCount; ++i)
        if (values_differ(stored[i], in[i], tolerance))
            return true;
    return false;
}

} // namespace usage_archive::core
