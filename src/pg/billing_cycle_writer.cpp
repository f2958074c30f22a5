#include "billing_cycle_writer.hpp"

#include "argument_memory.hpp"
#include "owner_rights.hpp"
#include "sql_arrays.hpp"

#include "core/calendar_date.hpp"

#include <algorithm>

extern "C" {
#include "datatype/timestamp.h"
#include "utils/timestamp.h"
}

namespace usage_archive::pg {
namespace {

// The UTC day of `now`, as days since 2000-01-01: the API's days are UTC days.
std::int32_t utc_day(TimestampTz now) {
    return static_cast<std::int32_t>(now / USECS_PER_DAY - (now % USECS_PER_DAY < 0 ? 1 : 0));
}


} // namespace

std::uint64_t write_billing_cycles(const std::vector<core::BillingCycle> &cycles,
                                   const std::vector<core::ServiceLineInfo> &payload_lines,
                                   const std::vector<std::int64_t> &line_ids, std::int64_t run_id) {
    std::vector<std::int64_t> lines;
    std::vector<std::int32_t> starts, ends, covered;
    // Every cycle's listed days end to end, and where each cycle's are (1-based, inclusive):
    // one date[] that each row slices, instead of an array literal per row to parse (a
    // 1,000,000-record payload lists as many days).
    std::vector<std::int32_t> reported_days;
    std::vector<std::int64_t> reported_from, reported_to;
    std::vector<std::optional<core::MilliGb>> priority, standard, opt_in, non_billable;
    std::vector<std::optional<double>> limits;
    const TimestampTz transaction_start = pg_call([]() noexcept { return GetCurrentTransactionStartTimestamp(); });
    const std::int32_t today = utc_day(transaction_start);
    for (const core::BillingCycle &c : cycles) {
        const std::int64_t line_id = line_ids[c.line];
        if (line_id == 0)
            continue;
        const core::ServiceLineInfo &info = payload_lines[c.line];
        lines.push_back(line_id);
        starts.push_back(c.start);
        ends.push_back(c.end);
        // The API answered for the cycle up to its data's last update and never beyond today:
        // a later day of the current cycle is not known yet, neither zero nor missing. The day
        // before the cycle's start: nothing of it covered yet.
        const std::int32_t known = std::min(today, info.last_updated_day.value_or(today));
        covered.push_back(std::max(c.start - 1, std::min(c.end, known)));
        reported_from.push_back(static_cast<std::int64_t>(reported_days.size()) + 1);
        reported_days.insert(reported_days.end(), c.reported_days.begin(), c.reported_days.end());
        reported_to.push_back(static_cast<std::int64_t>(reported_days.size()));
        priority.push_back(c.total_priority);
        standard.push_back(c.total_standard);
        opt_in.push_back(c.total_opt_in_priority);
        non_billable.push_back(c.total_non_billable);
        limits.push_back(info.usage_limit_gb);
    }
    if (lines.empty())
        return 0;
    std::uint64_t written = 0;
    ArgumentMemory arguments;
    // Each incoming cycle found by an index probe, however many cycles the table holds.
    with_owner_rights("usage_archive", "billing_cycles", [&] { with_index_lookups([&] {
        written = spi_execute(
            "WITH incoming AS ("
            "  SELECT u.line_id, u.cycle_start, u.cycle_end, u.covered_through, "
            "         ($12::pg_catalog.date[])[u.day_from::pg_catalog.int4:u.day_to::pg_catalog.int4] AS reported_days, "
            "         u.tp, u.ts, u.tio, u.tnb, "
            "         u.plan_limit::pg_catalog.numeric AS usage_limit_gb "
            "  FROM unnest($1::pg_catalog.int8[], $2::pg_catalog.date[], $3::pg_catalog.date[], $4::pg_catalog.date[], "
            "              $5::pg_catalog.int8[], $13::pg_catalog.int8[], $6::pg_catalog.numeric[], "
            "              $7::pg_catalog.numeric[], $8::pg_catalog.numeric[], $9::pg_catalog.numeric[], "
            "              $10::pg_catalog.float8[]) "
            "       AS u(line_id, cycle_start, cycle_end, covered_through, day_from, day_to, tp, ts, tio, tnb, "
            "            plan_limit)), "
            // Compared before anything is written: an unchanged cycle is not even locked.
            "changed AS ("
            "  SELECT i.* FROM incoming i LEFT JOIN usage_archive.billing_cycles b "
            "    ON b.service_line_id OPERATOR(pg_catalog.=) i.line_id "
            "   AND b.cycle_start OPERATOR(pg_catalog.=) i.cycle_start "
            "  WHERE b.service_line_id IS NULL "
            "     OR (b.cycle_end, b.covered_through, b.reported_days, b.total_priority_gb, b.total_standard_gb, "
            "         b.total_opt_in_priority_gb, b.total_non_billable_gb, b.usage_limit_gb) IS DISTINCT FROM "
            "        (i.cycle_end, i.covered_through, i.reported_days, i.tp, i.ts, i.tio, i.tnb, "
            "         CASE WHEN b.covered_through < b.cycle_end THEN i.usage_limit_gb ELSE b.usage_limit_gb END)) "
            "INSERT INTO usage_archive.billing_cycles AS b (service_line_id, cycle_start, cycle_end, covered_through, "
            "    reported_days, total_priority_gb, total_standard_gb, total_opt_in_priority_gb, total_non_billable_gb, "
            "    usage_limit_gb, first_run_id, last_run_id, updated_at) "
            "SELECT line_id, cycle_start, cycle_end, covered_through, reported_days, tp, ts, tio, tnb, usage_limit_gb, "
            "       $11, $11, $14 FROM changed "
            "ON CONFLICT (service_line_id, cycle_start) DO UPDATE SET cycle_end = EXCLUDED.cycle_end, "
            "    covered_through = EXCLUDED.covered_through, reported_days = EXCLUDED.reported_days, "
            "    total_priority_gb = EXCLUDED.total_priority_gb, total_standard_gb = EXCLUDED.total_standard_gb, "
            "    total_opt_in_priority_gb = EXCLUDED.total_opt_in_priority_gb, "
            "    total_non_billable_gb = EXCLUDED.total_non_billable_gb, "
            // The plan's limit as the cycle ran: a plan changed after the cycle was reported
            // complete does not rewrite it.
            "    usage_limit_gb = CASE WHEN b.covered_through < b.cycle_end THEN EXCLUDED.usage_limit_gb "
            "                          ELSE b.usage_limit_gb END, "
            // The time is now()'s value, given as a parameter of the inserted row: Citus refuses
            // any function that is not IMMUTABLE in the DO UPDATE SET of a distributed table's
            // INSERT, and does not send the types of parameters used there to the workers.
            "    last_run_id = EXCLUDED.last_run_id, updated_at = EXCLUDED.updated_at",
            {int8_array_arg(lines), date_array_arg(starts), date_array_arg(ends), date_array_arg(covered),
             int8_array_arg(reported_from), milli_array_arg(priority), milli_array_arg(standard),
             milli_array_arg(opt_in), milli_array_arg(non_billable), float8_array_arg(limits), int8_arg(run_id),
             date_array_arg(reported_days), int8_array_arg(reported_to),
             SpiArg{TIMESTAMPTZOID, TimestampTzGetDatum(transaction_start)}});
    }); });
    arguments.end();
    return written;
}

} // namespace usage_archive::pg
