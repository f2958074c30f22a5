#!/usr/bin/env bash
# make demo: installs what is missing, builds and installs the extension, starts a throwaway
# cluster and the mock vendor API (test/mock_api), archives the fleet over HTTP twice (the
# second run: all unchanged, nothing written), then once more after the API corrected its
# partial days, and shows the run log, the story's monthly query (no doubling) and a
# duplicate check. DEMO_KEEP=1 leaves the cluster and the mock running.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$repo_root"

scripts/ensure-deps.sh
echo "Building and installing usage_archive..."
build_and_install

work=$(make_work_dir demo)
cleanup() {
    if [[ "${DEMO_KEEP:-0}" != 1 ]]; then
        stop_mock_api
        scripts/pg-cluster.sh stop "$work/pg" 2>/dev/null || true
        rm -rf "$work"
    fi
}
trap cleanup EXIT
scripts/pg-cluster.sh start "$work/pg"
source "$work/pg/env"
# 100 service lines; the mock's partial days (today, yesterday) stay put until unfrozen.
start_mock_api "$work/mock" --lines 100
python3 test/mock_api/control.py set '{"freeze_revision": true}'

# The client secret lives in a file only the server reads: never in SQL text, logs or dumps.
secret_file=$work/fleet.secret
printf 'test-secret\n' >"$secret_file"
chmod 600 "$secret_file"
if is_root; then chown postgres: "$secret_file"; fi

psql -X -q -v ON_ERROR_STOP=1 -v port="$USAGE_ARCHIVE_MOCK_PORT" -v secret_file="$secret_file" <<'SQL'
\pset footer off
CREATE EXTENSION usage_archive;
SELECT usage_archive.add_source('fleet', 'starlink',
    base_url      => 'http://127.0.0.1:' || :'port' || '/api',
    token_url     => 'http://127.0.0.1:' || :'port' || '/api/auth/connect/token',
    client_id     => 'test-client') \gset
SELECT usage_archive.set_client_secret_file('fleet', :'secret_file') \gset
\echo
\echo '== First run over HTTP: the current and the previous billing cycle, everything is new'
SELECT * FROM usage_archive.archive_usage('fleet', previous_billing_cycles => 1);
\echo '== Second run, same cycles: all unchanged, nothing written'
SELECT * FROM usage_archive.archive_usage('fleet', previous_billing_cycles => 1);
\! python3 test/mock_api/control.py set '{"freeze_revision": false}'
\echo '== Third run, one more cycle back (overlapping); the API has corrected today and yesterday'
SELECT * FROM usage_archive.archive_usage('fleet', previous_billing_cycles => 2);
\echo '== The run log'
SELECT run_id, status, records, inserted, updated, unchanged, collapsed, write_method,
       http_requests AS requests, pg_size_pretty(bytes_received) AS received, round(fetch_ms) AS fetch_ms,
       round(extract(epoch FROM finished_at - started_at) * 1000) AS total_ms
FROM usage_archive.archive_runs ORDER BY run_id;
\echo '== The story''s query (five busiest lines): one row per day, no doubling'
UPDATE usage_archive.service_lines SET client_name = 'client ' || right(service_line_number, 2);
SELECT l.client_name, SUM(h.consumed_gb) AS total_usage, COUNT(*) AS record_count,
       COUNT(DISTINCT h.usage_date) AS distinct_days
FROM usage_archive.daily_usage_history h JOIN usage_archive.service_lines l USING (service_line_id)
GROUP BY l.client_name ORDER BY total_usage DESC LIMIT 5;
\echo '== Duplicate (service line, day) keys in the archive, and corrections audited'
SELECT (SELECT count(*) FROM (SELECT 1 FROM usage_archive.daily_usage_history
                              GROUP BY service_line_id, usage_date HAVING count(*) > 1) d) AS duplicate_keys,
       (SELECT count(*) FROM usage_archive.usage_corrections) AS corrections;
\echo '== The monthly report (usage_archive.monthly_usage), five busiest lines of the latest month'
SELECT client_name, service_line_number, month, total_gb, days_reported
FROM usage_archive.monthly_usage WHERE month = (SELECT max(month) FROM usage_archive.monthly_usage)
ORDER BY total_gb DESC LIMIT 5;
\echo '== Billing cycles against the plan (usage_archive.billing_cycle_usage), the fullest five'
SELECT service_line_number, cycle_start, cycle_end, total_gb, usage_limit_gb, pct_of_plan, over_plan
FROM usage_archive.billing_cycle_usage ORDER BY pct_of_plan DESC NULLS LAST LIMIT 5;
SQL
# The data-quality report (scripts/quality-report.psql), as an operator would run it; over
# every archived day (the mock's calendar is not today's).
since=$(psql -X -At -c "SELECT min(usage_date) FROM usage_archive.daily_usage_history")
psql -X -v ON_ERROR_STOP=1 -v source=fleet -v since="$since" -f scripts/quality-report.psql

if [[ "${DEMO_KEEP:-0}" == 1 ]]; then
    echo
    echo "The demo cluster and mock API keep running. Connect with:"
    echo "  source $work/pg/env && psql"
    echo "Stop them with: kill $MOCK_API_PID; scripts/pg-cluster.sh stop $work/pg"
fi
