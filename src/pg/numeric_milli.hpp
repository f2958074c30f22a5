// Reading archived numeric(14,3) values back as thousandths of a GB, fast: the diff of a
// re-run reads every archived row of the payload's range, so this is on the hot path.
#pragma once

#include "pg_prelude.hpp"

#include "core/usage_record.hpp"

namespace usage_archive::pg {

// Exact conversion of a numeric datum with at most 3 decimals. Decodes the numeric's
// stored digits directly when it can; otherwise (NaN, more decimals, out of int64 range)
// falls back to PostgreSQL's own arithmetic. Returns false for NaN (never archived: the
// columns have CHECK constraints, but a legacy row could hold one); a value beyond int64
// thousandths raises PostgreSQL's out-of-range error.
bool numeric_to_milli(Datum value, core::MilliGb *out);

} // namespace usage_archive::pg
