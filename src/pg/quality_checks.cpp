// SQL entry point usage_archive.check_data_quality(source, since): the data-quality checks,
// one finding per row (docs/sql-reference.md, "Data-quality checks", says what each means).
// Everything is read with the caller's privileges (and row-level security), but the list of
// tables the uniqueness sweep covers, which is the extension's. Each check is one statement
// that reads through indexes: the history table by its primary key (service line, day), the
// run log by source. The statements run with the function's search_path (pg_catalog,
// pg_temp), which no caller can change.
#include "entry_support.hpp"
#include "extension_version.hpp"
#include "owner_rights.hpp"
#include "quality_findings.hpp"
#include "settings.hpp"
#include "spike_check.hpp"
#include "sql_arrays.hpp"
#include "target_table.hpp"

extern "C" {
#include "utils/acl.h"
#include "utils/date.h"
#include "utils/json.h"
}

namespace usage_archive::pg {
namespace {

// A JSON string literal of `text`.
std::string json_text(const std::string &text) {
    const char *quoted = pg_call([&text]() noexcept {
        StringInfoData buf;
        initStringInfo(&buf);
        escape_json(&buf, text.c_str());
        return buf.data;
    });
    return quoted;
}

// $1: the source (NULL: all); $2: the first day looked at.
std::vector<SpiArg> source_and_since(const std::optional<std::string> &source, DateADT since) {
    return {source ? text_arg(*source) : SpiArg{TEXTOID, Datum(0), true}, SpiArg{DATEOID, DateADTGetDatum(since)}};
}

// The service lines of the source(s) checked.
constexpr const char *kLines =
    "lines AS (SELECT l.service_line_id, l.source, l.service_line_number, l.usage_limit_gb "
    "          FROM usage_archive.service_lines l WHERE $1::text IS NULL OR l.source = $1) ";

// A check's statement over those lines: "WITH lines AS (...) " and then `rest` (the SELECT, or
// ", " and more common table expressions).
std::string over_lines(const char *rest) { return std::string("WITH ") + kLines + rest; }

// Days archived inside a day range the API covered, no longer listed by its latest report
// of the cycle (nor by another cycle of the line): the API now says zero, or lost the day.
// And days no run covered at all between a line's first and last covered day.
void missing_days(QualityFindings &out, const std::vector<SpiArg> &args) {
    out.add_rows_of(over_lines("SELECT 'missing_days'::text, 'warning'::text, l.source, l.service_line_number, h.usage_date, "
                     "       h.usage_date, 0::numeric, h.consumed_gb::numeric, "
                     "       jsonb_build_object('reason', 'archived, but no longer reported by the API', "
                     "                          'archived_gb', h.consumed_gb, 'cycle_start', b.cycle_start, "
                     "                          'reported_by_run', b.last_run_id) "
                     "FROM lines l JOIN usage_archive.billing_cycles b ON b.service_line_id = l.service_line_id "
                     "JOIN usage_archive.daily_usage_history h ON h.service_line_id = b.service_line_id "
                     "     AND h.usage_date BETWEEN greatest(b.cycle_start, $2) AND b.covered_through "
                     "WHERE b.covered_through >= $2 AND h.usage_date <> ALL (b.reported_days) "
                     "  AND (h.consumed_gb > 0 OR h.non_billable_gb > 0) "
                     "  AND NOT EXISTS (SELECT FROM usage_archive.billing_cycles o "
                     "                  WHERE o.service_line_id = b.service_line_id AND o.cycle_start <> b.cycle_start "
                     "                    AND h.usage_date = ANY (o.reported_days)) "
                     "UNION ALL "
                     "SELECT 'missing_days', 'warning', g.source, g.service_line_number, g.covered_before + 1, "
                     "       g.cycle_start - 1, (g.cycle_start - g.covered_before - 1)::numeric, 0::numeric, "
                     "       jsonb_build_object('reason', 'no run covered these days', "
                     "                          'next_cycle_start', g.cycle_start) "
                     "FROM (SELECT l.source, l.service_line_number, b.cycle_start, "
                     "             max(b.covered_through) OVER (PARTITION BY b.service_line_id ORDER BY b.cycle_start "
                     "                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS covered_before "
                     "      FROM lines l JOIN usage_archive.billing_cycles b ON b.service_line_id = l.service_line_id) g "
                     "WHERE g.cycle_start > g.covered_before + 1 AND g.cycle_start - 1 >= $2")
                        .c_str(),
                    args);
}

// Values no archive run writes: the table's own constraints refuse negative values; these
// are what they do not refuse.
void invalid_values(QualityFindings &out, const std::vector<SpiArg> &args) {
    out.add_rows_of(over_lines("SELECT 'invalid_values'::text, 'error'::text, l.source, l.service_line_number, h.usage_date, "
                     "       h.usage_date, p.observed, p.expected, jsonb_build_object('problem', p.problem) "
                     // Per line, through the primary key: the line's days since `since` only.
                     "FROM lines l CROSS JOIN LATERAL ("
                     "  SELECT h.* FROM usage_archive.daily_usage_history h "
                     "  WHERE h.service_line_id = l.service_line_id AND h.usage_date >= $2 "
                     "    AND (least(h.consumed_gb, h.priority_gb, h.opt_in_priority_gb, h.standard_gb, "
                     "               h.non_billable_gb) < 0 "
                     "         OR h.opt_in_priority_gb > h.priority_gb OR h.consumed_gb <> h.priority_gb + h.standard_gb) "
                     "  OFFSET 0) h "
                     "CROSS JOIN LATERAL (VALUES "
                     "  ('negative value', least(h.consumed_gb, h.priority_gb, h.opt_in_priority_gb, h.standard_gb, "
                     "                           h.non_billable_gb)::numeric, 0::numeric), "
                     "  ('opt-in priority above priority', h.opt_in_priority_gb::numeric, h.priority_gb::numeric), "
                     "  ('consumed is not priority + standard', h.consumed_gb::numeric, "
                     "   (h.priority_gb + h.standard_gb)::numeric)) AS p(problem, observed, expected) "
                     "WHERE CASE p.problem WHEN 'negative value' THEN p.observed < 0 "
                     "                     ELSE p.observed <> p.expected AND (p.problem <> 'opt-in priority above priority' "
                     "                                                        OR p.observed > p.expected) END")
                        .c_str(),
                    args);
}

// Per billing cycle: the archived days the API listed against the totals it sent (each
// listed day may differ from the total by its own rounding, hence a tolerance per day), and
// all archived days of the cycle against the plan's limit.
void cycle_checks(QualityFindings &out, const std::vector<SpiArg> &args) {
    std::vector<SpiArg> with_tolerance = args;
    with_tolerance.push_back(SpiArg{FLOAT8OID, Float8GetDatum(settings.tolerance_gb)});
    out.add_rows_of(
        over_lines(", "
                                         "cycles AS ("
                                         "  SELECT l.source, l.service_line_number, b.*, "
                                         "         coalesce(b.usage_limit_gb, l.usage_limit_gb) AS plan_gb, s.* "
                                         "  FROM lines l JOIN usage_archive.billing_cycles b ON b.service_line_id = l.service_line_id "
                                         "  CROSS JOIN LATERAL ("
                                         "    SELECT coalesce(sum(h.priority_gb) FILTER (WHERE h.usage_date = ANY (b.reported_days)), 0) AS priority, "
                                         "           coalesce(sum(h.standard_gb) FILTER (WHERE h.usage_date = ANY (b.reported_days)), 0) AS standard, "
                                         "           coalesce(sum(h.opt_in_priority_gb) FILTER (WHERE h.usage_date = ANY (b.reported_days)), 0) AS opt_in, "
                                         "           coalesce(sum(h.non_billable_gb) FILTER (WHERE h.usage_date = ANY (b.reported_days)), 0) AS non_billable, "
                                         "           coalesce(sum(h.consumed_gb), 0) AS consumed "
                                         "    FROM usage_archive.daily_usage_history h "
                                         "    WHERE h.service_line_id = b.service_line_id "
                                         "      AND h.usage_date BETWEEN b.cycle_start AND b.cycle_end) s "
                                         "  WHERE b.cycle_end >= $2), "
                                         "mismatches AS ("
                                         "  SELECT c.*, m.* FROM cycles c CROSS JOIN LATERAL ("
                                         "    SELECT jsonb_object_agg(v.part, jsonb_build_object('archived_gb', v.archived, "
                                         "               'api_total_gb', v.total)) AS parts "
                                         "    FROM (VALUES ('priority', c.priority, c.total_priority_gb), "
                                         "                 ('standard', c.standard, c.total_standard_gb), "
                                         "                 ('opt_in_priority', c.opt_in, c.total_opt_in_priority_gb), "
                                         "                 ('non_billable', c.non_billable, c.total_non_billable_gb)) "
                                         "         AS v(part, archived, total) "
                                         "    WHERE v.total IS NOT NULL "
                                         "      AND abs(v.archived - v.total) > $3 * (cardinality(c.reported_days) + 1)) m "
                                         "  WHERE m.parts IS NOT NULL) "
                                         "SELECT 'cycle_total_mismatch'::text, 'warning'::text, source, service_line_number, "
                                         "       cycle_start, cycle_end, (priority + standard)::numeric, "
                                         "       (coalesce(total_priority_gb, priority) + coalesce(total_standard_gb, standard))::numeric, "
                                         "       jsonb_build_object('differs', parts, 'days_listed', cardinality(reported_days), "
                                         "                          'reported_by_run', last_run_id) "
                                         "FROM mismatches "
                                         "UNION ALL "
                                         "SELECT 'over_plan', 'warning', source, service_line_number, cycle_start, cycle_end, "
                                         "       consumed::numeric, plan_gb::numeric, "
                                         "       jsonb_build_object('pct_of_plan', round(100 * consumed / plan_gb, 1)) "
                                         "FROM cycles WHERE plan_gb > 0 AND consumed > plan_gb")
            .c_str(),
        with_tolerance);
}

// A source with no successful run within its options.max_staleness (default 36 hours), and
// the failed runs since a source's last success.
void run_checks(QualityFindings &out, const std::vector<SpiArg> &args) {
    out.add_rows_of(
        "WITH src AS ("
        "  SELECT s.name, s.enabled, "
        "         coalesce((s.options ->> 'max_staleness')::interval, interval '36 hours') AS allowed, "
        "         (SELECT max(r.finished_at) FROM usage_archive.archive_runs r "
        "          WHERE r.source = s.name AND r.status = 'succeeded') AS last_success "
        "  FROM usage_archive.sources s WHERE $1::text IS NULL OR s.name = $1) "
        "SELECT 'stale_source'::text, 'error'::text, name, NULL::text, last_success::date, NULL::date, "
        "       round((extract(epoch FROM now() - last_success) / 3600)::numeric, 1), "
        "       round((extract(epoch FROM allowed) / 3600)::numeric, 1), "
        "       jsonb_build_object('last_success', last_success, 'max_staleness', allowed::text) "
        "FROM src WHERE enabled AND (last_success IS NULL OR last_success < now() - allowed) "
        "UNION ALL "
        "SELECT 'failed_runs', 'warning', src.name, NULL, min(r.started_at)::date, max(r.started_at)::date, "
        "       count(*)::numeric, 0::numeric, "
        "       jsonb_build_object('last_error', (array_agg(r.error ORDER BY r.run_id DESC))[1], "
        "                          'last_sqlstate', (array_agg(r.sqlstate ORDER BY r.run_id DESC))[1], "
        "                          'run_ids', (array_agg(r.run_id ORDER BY r.run_id DESC))[1:10], "
        "                          'last_success', src.last_success) "
        "FROM src JOIN usage_archive.archive_runs r ON r.source = src.name AND r.status = 'failed' "
        "     AND (src.last_success IS NULL OR r.started_at > src.last_success) "
        "GROUP BY src.name, src.last_success",
        args);
}

// Duplicate keys in the tables the uniqueness sweep covers (the history table and every
// protected table): the sweep's findings once it has swept a table, else computed now
// (unless a unique index makes them impossible). Tables the caller may not read are not
// looked at; legacy tables belong to no source, so a check of one source skips them.
void duplicate_keys(QualityFindings &out, const std::optional<std::string> &source) {
    if (source)
        return;
    struct Target {
        Oid relid;
        std::vector<std::string> keys;
        bool swept;
    };
    std::vector<Target> targets;
    with_owner_rights("usage_archive_private", "uniqueness_targets", [&] {
        const std::uint64_t n = spi_execute(
            "SELECT t.table_name::oid, t.key_columns, t.last_swept_at IS NOT NULL "
            "FROM usage_archive_private.uniqueness_targets t JOIN pg_catalog.pg_class c ON c.oid = t.table_name "
            "ORDER BY 1",
            {});
        for (std::uint64_t r = 0; r < n; ++r) {
            bool is_null;
            targets.push_back(Target{DatumGetObjectId(spi_datum(r, 1, &is_null)), spi_text_array(r, 2), spi_bool(r, 3)});
        }
        spi_free_result();
    });
    for (const Target &t : targets) {
        const Oid relid = t.relid;
        if (!pg_call([relid]() noexcept { return pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) == ACLCHECK_OK; }))
            continue;
        const TargetTable table = describe_table(relid);
        std::vector<TargetColumn> keys;
        try {
            keys = pick_columns(table, t.keys, "key column");
        } catch (const SqlError &e) {
            // A key column renamed or dropped since protect(): said, not a failed check.
            out.add(QualityFindings::Finding{"duplicate_keys", "error", std::nullopt, std::nullopt, std::nullopt,
                                             std::nullopt, std::nullopt, std::nullopt,
                                             "{\"table\": " + json_text(table.qualified) + ", \"problem\": " +
                                                 json_text(e.what()) + "}"});
            continue;
        }
        if (!unique_index_on(relid, keys).empty())
            continue;
        std::vector<std::optional<std::string>> key_names(t.keys.begin(), t.keys.end());
        if (t.swept) {
            // duplicate_findings shows the caller only tables it may read (row-level security).
            out.add_rows_of("SELECT 'duplicate_keys'::text, 'error'::text, NULL::text, NULL::text, f.found_at::date, "
                            "       NULL::date, f.copies::numeric, 1::numeric, "
                            "       jsonb_build_object('table', f.table_name, 'key', f.key, 'found_by', 'sweep', "
                            "                          'found_at', f.found_at) "
                            "FROM usage_archive.duplicate_findings f WHERE f.table_name = $1 ORDER BY f.key",
                            {text_arg(table.qualified)});
        } else {
            out.add_rows_of("SELECT 'duplicate_keys'::text, 'error'::text, NULL::text, NULL::text, current_date, NULL::date, "
                            "       d.copies::numeric, 1::numeric, "
                            "       jsonb_build_object('table', $3::text, 'key', d.key, 'found_by', 'check') "
                            "FROM usage_archive.find_duplicates($1, $2) d LIMIT 10000",
                            {SpiArg{OIDOID, ObjectIdGetDatum(relid)}, text_array_arg(key_names), text_arg(table.qualified)});
        }
    }
}

Datum check_data_quality_body(FunctionCallInfo fcinfo) {
    std::optional<std::string> source;
    if (!PG_ARGISNULL(0))
        source = required_text_arg(fcinfo, 0, "source");
    if (PG_ARGISNULL(1))
        throw SqlError(ERRCODE_NULL_VALUE_NOT_ALLOWED, "since must not be null");
    const DateADT since = PG_GETARG_DATEADT(1);
    if (DATE_NOT_FINITE(since))
        throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE, "since must be a finite date");
    QualityFindings out(fcinfo);
    spi_connect();
    require_current_sql_objects();
    if (source) {
        const std::uint64_t known =
            spi_execute("SELECT FROM usage_archive.sources WHERE name = $1", {text_arg(*source)});
        spi_free_result();
        if (known == 0)
            throw SqlError(ERRCODE_UNDEFINED_OBJECT, "source \"" + *source + "\" does not exist");
    }
    const std::vector<SpiArg> args = source_and_since(source, since);
    duplicate_keys(out, source);
    invalid_values(out, args);
    run_checks(out, args);
    missing_days(out, args);
    cycle_checks(out, args);
    usage_spikes(out, source, since);
    spi_finish();
    return Datum(0);
}

} // namespace
} // namespace usage_archive::pg

USAGE_ARCHIVE_SQL_FUNCTION(usage_archive_check_data_quality, usage_archive::pg::check_data_quality_body)
