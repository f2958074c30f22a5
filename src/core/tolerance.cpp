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

StoredUsage stored_form(const UsageRecord &r) {
    StoredUsage s;
    s.consumed = r.consumed;
    if (r.has_breakdown) {
        s.priority = r.priority;
        s.opt_in_priority = r.opt_in_priority;
        s.standard = r.standard;
        s.non_billable = r.non_billable;
    }
    return s;
}

bool usage_differs(const StoredUsage &stored, const UsageRecord &incoming, MilliGb tolerance) {
    const StoredUsage in = stored_form(incoming);
    return values_differ(stored.consumed, in.consumed, tolerance) ||
           values_differ(stored.priority, in.priority, tolerance) ||
           values_differ(stored.opt_in_priority, in.opt_in_priority, tolerance) ||
           values_differ(stored.standard, in.standard, tolerance) ||
           values_differ(stored.non_billable, in.non_billable, tolerance);
}

} // namespace usage_archive::core
