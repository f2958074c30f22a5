// The records an archive run works on, independent of PostgreSQL.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace usage_archive::core {

// Values are carried as whole thousandths of a GB, the precision of the numeric(14,3)
// columns they land in: comparisons are then exact, and no floating-point noise from the
// JSON reaches the database or the tolerance check.
using MilliGb = std::int64_t;

enum class SourceKind { starlink, simple };

std::optional<SourceKind> parse_source_kind(std::string_view name);
const char *source_kind_name(SourceKind kind);

// What a payload says about one service line besides its usage.
struct ServiceLineInfo {
    std::string number;
    std::optional<std::string> account_number;
    std::optional<double> usage_limit_gb;
    // The day of the result's lastUpdated (starlink): the API's data reaches this day.
    std::optional<std::int32_t> last_updated_day;
    std::optional<std::string> product_id;   // servicePlan.productId
    std::optional<bool> opted_into_overage; // servicePlan.isOptedIntoOverage
};

// One billing cycle of one service line as the API reported it (starlink): its dates, the
// totals the API computed for it, and the days it listed. The API omits days without usage,
// so a day of the cycle it answered for and did not list is a zero, not a gap.
struct BillingCycle {
    std::uint32_t line = 0;         // index into ParsedPayload::lines
    std::int32_t start = 0;         // first day, days since 2000-01-01
    std::int32_t end = 0;           // last day, inclusive
    std::uint32_t ordinal = 0;      // position in the payload: the last report of a cycle wins
    std::optional<MilliGb> total_priority, total_standard, total_opt_in_priority, total_non_billable;
    std::vector<std::int32_t> reported_days; // days with a valid record, ascending, distinct
};

// One validated (service line, day) record.
struct UsageRecord {
    std::uint32_t line = 0;     // index into ParsedPayload::lines
    std::int32_t day = 0;       // days since 2000-01-01, PostgreSQL's date epoch
    std::uint32_t ordinal = 0;  // position among the payload's valid records (collapse rule)
    bool has_breakdown = false; // starlink records carry the four components, simple ones do not
    MilliGb consumed = 0;       // billable total: priority + standard (simple: usage_gb)
    MilliGb priority = 0;
    MilliGb opt_in_priority = 0;
    MilliGb standard = 0;
    MilliGb non_billable = 0;
};

// How many rejection reasons a run keeps; the count of rejected records is always exact.
inline constexpr std::size_t kMaxRejectionReasons = 10;

struct ParsedPayload {
    std::vector<ServiceLineInfo> lines;
    std::vector<UsageRecord> records;
    std::vector<BillingCycle> cycles; // one per (line, start): the payload's last report of it
    std::uint64_t rejected = 0;
    std::vector<std::string> rejection_reasons; // the first kMaxRejectionReasons

    std::uint64_t total_records() const { return records.size() + rejected; }
};

// A part of a payload taken while it is being parsed (PayloadBuilder::take_chunk): its
// records and billing cycles; lines are the run's (ParsedPayload::lines of the builder).
struct ParsedChunk {
    std::vector<UsageRecord> records;
    std::vector<BillingCycle> cycles;
};

} // namespace usage_archive::core
