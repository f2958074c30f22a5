// In-run duplicates: the same (service line, day) more than once in one payload, e.g. from
// overlapping billing cycles or pages. Writing both would make PostgreSQL refuse the batch
// ("ON CONFLICT DO UPDATE command cannot affect row a second time") or double the usage.
#pragma once

#include "usage_record.hpp"

#include <cstddef>
#include <vector>

namespace usage_archive::core {

// The rule: the occurrence that comes LAST in the payload survives. The API lists billing
// cycles oldest first and a later page or cycle carries the newer value of a day, so the
// last word is the freshest one.
//
// Sorts records by (line, day) and removes all but the survivor of each key; returns how
// many were removed (the run's `collapsed` counter). `progress` (if any) is called between
// steps of at most about a million records, so a run's cancel is served during the sort of
// a payload of millions too; it may throw, leaving `records` in some order.
std::size_t collapse_duplicates(std::vector<UsageRecord> &records, void (*progress)() = nullptr);

} // namespace usage_archive::core
