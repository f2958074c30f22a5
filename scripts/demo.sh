#!/usr/bin/env bash
# make demo: installs what is missing, builds and installs the extension, starts a throwaway
# cluster, archives a sample starlink payload twice (overlapping billing cycles included),
# and shows what each run did and that the story's monthly query shows no doubling.
# DEMO_KEEP=1 leaves the cluster running and prints how to connect.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$repo_root"

scripts/ensure-deps.sh
echo "Building and installing usage_archive..."
build_and_install

work=$(make_work_dir demo)
cleanup() {
    if [[ "${DEMO_KEEP:-0}" != 1 ]]; then
        scripts/pg-cluster.sh stop "$work/pg" 2>/dev/null || true
        rm -rf "$work"
    fi
}
trap cleanup EXIT
scripts/pg-cluster.sh start "$work/pg"
source "$work/pg/env"

# 50 service lines x 90 days in 30-day billing cycles: 4,500 daily records.
python3 test/mock_api/starlink_data.py payload --lines 50 --days 90 --out "$work/payload.json" 2>/dev/null
chmod 644 "$work/payload.json"

psql -X -q -v ON_ERROR_STOP=1 -v payload_file="$work/payload.json" <<'SQL'
\pset footer off
CREATE EXTENSION usage_archive;
SELECT usage_archive.add_source('fleet', 'starlink') \gset
\set payload `cat :payload_file`
\echo
\echo '== First run: everything is new'
SELECT * FROM usage_archive.archive_payload('fleet', :'payload');
\echo '== Second run of the same payload: all unchanged, nothing written'
SELECT * FROM usage_archive.archive_payload('fleet', :'payload');
\echo '== The run log'
SELECT run_id, status, records, inserted, updated, unchanged, skipped, rejected, collapsed, write_method,
       round(extract(epoch FROM finished_at - started_at) * 1000) AS ms
FROM usage_archive.archive_runs ORDER BY run_id;
\echo '== The story''s query (five busiest lines): one row per day, no doubling'
UPDATE usage_archive.service_lines SET client_name = 'client ' || right(service_line_number, 2);
SELECT l.client_name, SUM(h.consumed_gb) AS total_usage, COUNT(*) AS record_count,
       COUNT(DISTINCT h.usage_date) AS distinct_days
FROM usage_archive.daily_usage_history h JOIN usage_archive.service_lines l USING (service_line_id)
GROUP BY l.client_name ORDER BY total_usage DESC LIMIT 5;
\echo '== Duplicates (service line, day) in the archive'
SELECT count(*) AS duplicate_keys FROM (
  SELECT service_line_id, usage_date FROM usage_archive.daily_usage_history
  GROUP BY 1, 2 HAVING count(*) > 1) d;
SQL

if [[ "${DEMO_KEEP:-0}" == 1 ]]; then
    echo
    echo "The demo cluster keeps running. Connect with:"
    echo "  source $work/pg/env && psql"
    echo "Stop it with: scripts/pg-cluster.sh stop $work/pg"
fi
