#include "spike_check.hpp"

#include "settings.hpp"

#include "core/record_validation.hpp"
#include "core/usage_spikes.hpp"

#include <unordered_map>

namespace usage_archive::pg {
namespace {

struct LineDays {
    std::string source, number;
    std::int32_t first_day = 0;
    std::vector<core::DailyValue> days;
};

// The days the API answered for (billing_cycles), per line, from the first window on: a line
// without any (a simple source) has every absent day counted as a zero.
std::unordered_map<std::int64_t, std::vector<core::DayRange>> coverage(const std::vector<SpiArg> &args) {
    std::unordered_map<std::int64_t, std::vector<core::DayRange>> out;
    spi_for_each_batch(
        "SELECT b.service_line_id, b.cycle_start - date '2000-01-01', b.covered_through - date '2000-01-01' "
        "FROM usage_archive.billing_cycles b JOIN usage_archive.service_lines l USING (service_line_id) "
        "WHERE ($1::text IS NULL OR l.source = $1) AND b.covered_through >= $2::date - $3::int "
        "ORDER BY 1, 2",
        args, 10000, [&out](std::uint64_t rows) {
            for (std::uint64_t r = 0; r < rows; ++r)
                out[spi_int64(r, 1)].push_back(core::DayRange{spi_int32(r, 2), spi_int32(r, 3)});
        });
    return out;
}

void report(QualityFindings &out, const LineDays &line, std::int32_t from, const core::SpikeRule &rule,
            const std::vector<core::DayRange> &covered) {
    for (const core::Spike &s : core::find_spikes(line.days, line.first_day, from, rule, covered)) {
        const std::string median = core::format_milli_gb(s.median);
        out.add(QualityFindings::Finding{
            "usage_spike", "warning", line.source, line.number, s.day, s.day, core::format_milli_gb(s.value), median,
            "{\"median_gb\": " + median + ", \"factor\": " + std::to_string(rule.factor) +
                ", \"floor_gb\": " + core::format_milli_gb(rule.floor) + ", \"window_days\": " +
                std::to_string(rule.window_days) + "}"});
    }
}

} // namespace

void usage_spikes(QualityFindings &out, const std::optional<std::string> &source, DateADT since) {
    core::SpikeRule rule;
    rule.factor = settings.spike_factor;
    rule.floor = core::to_milli_gb(settings.spike_floor_gb);
    // Each line's days in service-line order, read line by line through the primary key
    // (service_line_id, usage_date), with the line's first archived day: one index probe and
    // one range scan per line, whatever the size of the table.
    const std::string sql =
        "SELECT l.service_line_id, l.source, l.service_line_number, f.first_day - date '2000-01-01', "
        "       h.usage_date - date '2000-01-01', (h.consumed_gb * 1000)::int8 "
        "FROM usage_archive.service_lines l "
        "CROSS JOIN LATERAL (SELECT min(m.usage_date) AS first_day FROM usage_archive.daily_usage_history m "
        "                    WHERE m.service_line_id = l.service_line_id) f "
        "JOIN usage_archive.daily_usage_history h ON h.service_line_id = l.service_line_id "
        "     AND h.usage_date >= $2::date - $3::int "
        "WHERE ($1::text IS NULL OR l.source = $1) AND f.first_day IS NOT NULL "
        "ORDER BY l.service_line_id, h.usage_date";
    const std::vector<SpiArg> args = {source ? text_arg(*source) : SpiArg{TEXTOID, Datum(0), true},
                                      SpiArg{DATEOID, DateADTGetDatum(since)},
                                      SpiArg{INT4OID, Int32GetDatum(rule.window_days)}};
    const auto covered = coverage(args);
    const std::vector<core::DayRange> unknown;
    auto report_line = [&](std::int64_t id, const LineDays &line) {
        auto it = covered.find(id);
        report(out, line, since, rule, it == covered.end() ? unknown : it->second);
    };
    LineDays line;
    std::int64_t current = -1;
    with_index_lookups([&] {
        spi_for_each_batch(
            sql.c_str(), args, 10000, [&](std::uint64_t rows) {
                for (std::uint64_t r = 0; r < rows; ++r) {
                    const std::int64_t id = spi_int64(r, 1);
                    if (id != current) {
                        if (current >= 0)
                            report_line(current, line);
                        current = id;
                        line = LineDays{spi_text(r, 2), spi_text(r, 3), spi_int32(r, 4), {}};
                    }
                    line.days.push_back(core::DailyValue{spi_int32(r, 5), spi_int64(r, 6)});
                }
                check_for_interrupts();
            });
    });
    if (current >= 0)
        report_line(current, line);
}

} // namespace usage_archive::pg
