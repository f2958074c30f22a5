-- Each counter of a payload whose outcome is known record by record, and every kind of
-- invalid record is rejected (not written, counted, explained) without failing the run.
SELECT usage_archive.add_source('counters', 'starlink');
SELECT inserted FROM usage_archive.archive_payload('counters', starlink_payload(1, 2, prefix => 'CNT-'));

SELECT * FROM usage_archive.archive_payload('counters', $${"isValid": true, "content": {"results": [{
  "serviceLineNumber": "CNT-1",
  "billingCycles": [{"dailyDataUsage": [
    {"date": "2025-10-01T00:00:00Z", "priorityGB": 0.11, "optInPriorityGB": 0.05, "standardGB": 1.0},
    {"date": "2025-10-02T00:00:00Z", "priorityGB": 5, "optInPriorityGB": 0.05, "standardGB": 1.51},
    {"date": "2025-10-03T00:00:00Z", "priorityGB": 1, "standardGB": 1},
    {"date": "2025-10-03T00:00:00Z", "priorityGB": 1, "standardGB": 1.5},
    {"date": "2025-10-04T00:00:00Z", "priorityGB": -1, "standardGB": 1},
    {"date": "2025-10-05T00:00:00Z", "priorityGB": 1, "standardGB": "NaN"},
    {"date": "2025-10-06T00:00:00Z", "priorityGB": 1, "standardGB": "Infinity"},
    {"date": "2025-02-30T00:00:00Z", "priorityGB": 1, "standardGB": 1},
    {"date": "2025-10-07T00:00:00Z", "priorityGB": 1, "optInPriorityGB": 2, "standardGB": 1},
    {"date": "2025-10-08T00:00:00Z", "priorityGB": 1, "standardGB": 123456789},
    {"date": "2025-10-09", "priorityGB": 1, "standardGB": "12"},
    {"priorityGB": 1, "standardGB": 1},
    {"date": 20251010, "priorityGB": 1},
    {"date": "2025-10-11T00:00:00Z", "standardGB": {"value": 1}}
  ]}]}, {"serviceLineNumber": "CNT-2", "billingCycles": [{"dailyDataUsage": [
    {"date": "2025-10-01T00:00:00Z", "priorityGB": 1, "standardGB": 1}]}]}]}}$$) \gset r_
-- 15 records: 10 invalid (rejected), CNT-1's 10-03 twice (1 collapsed into the other), and
-- 4 valid keys, 2 of them in the first payload with other values (updated), 2 new (inserted). The returned counters and the run log's, each an exact number.
SELECT :r_inserted AS inserted, :r_updated AS updated, :r_unchanged AS unchanged, :r_skipped AS skipped,
       :r_rejected AS rejected, :r_collapsed AS collapsed, records
FROM usage_archive.archive_runs WHERE run_id = :r_run_id;
SELECT inserted, updated, unchanged, skipped, rejected, collapsed FROM usage_archive.archive_runs WHERE run_id = :r_run_id;

SELECT unnest(rejected_reasons) AS reason FROM usage_archive.archive_runs
WHERE run_id = (SELECT max(run_id) FROM usage_archive.archive_runs);

-- Nothing of the rejected records was written.
SELECT h.usage_date, h.consumed_gb FROM usage_archive.daily_usage_history h
JOIN usage_archive.service_lines l USING (service_line_id) WHERE l.source = 'counters' ORDER BY 1, 2;

-- The sanity bound is a setting.
SET usage_archive.max_daily_gb = 200000000;
SELECT inserted, rejected FROM usage_archive.archive_payload('counters',
  '{"content": {"results": [{"serviceLineNumber": "CNT-1", "billingCycles": [{"dailyDataUsage": [{"date": "2025-10-08T00:00:00Z", "standardGB": 123456789}]}]}]}}');
RESET usage_archive.max_daily_gb;

-- Only the first 10 reasons are kept; the count stays exact.
SELECT usage_archive.add_source('counters_simple', 'simple');
SELECT run_id, rejected FROM usage_archive.archive_payload('counters_simple', (
  SELECT jsonb_build_object('CNT-X', jsonb_build_object('daily_usage',
           jsonb_agg(jsonb_build_object('date', '2025-10-01', 'usage_gb', -i))))
  FROM generate_series(1, 25) i)::text) \gset r_
SELECT :r_rejected AS rejected, cardinality(rejected_reasons) AS reasons_kept, records
FROM usage_archive.archive_runs WHERE run_id = :r_run_id;

-- The bound is inclusive and holds for each reported field: a value exactly at max_daily_gb
-- is kept, 0.001 above it is rejected. consumed_gb is priority + standard, each within the
-- bound, so it may reach twice max_daily_gb (docs/sql-reference.md, Settings).
SET usage_archive.max_daily_gb = 100;
SELECT run_id, inserted, rejected FROM usage_archive.archive_payload('counters', $${"content": {"results": [{
  "serviceLineNumber": "CNT-1", "billingCycles": [{"dailyDataUsage": [
    {"date": "2025-10-20T00:00:00Z", "priorityGB": 100, "optInPriorityGB": 100, "standardGB": 100, "nonBillableGB": 100},
    {"date": "2025-10-21T00:00:00Z", "priorityGB": 100.001, "standardGB": 0},
    {"date": "2025-10-22T00:00:00Z", "priorityGB": 0, "optInPriorityGB": 0, "standardGB": 100.001},
    {"date": "2025-10-23T00:00:00Z", "priorityGB": 0, "standardGB": 0, "nonBillableGB": 100.001}]}]}]}}$$) \gset r_
SELECT :r_inserted AS inserted, :r_rejected AS rejected;
SELECT unnest(rejected_reasons) AS reason FROM usage_archive.archive_runs WHERE run_id = :r_run_id;
SELECT usage_date, consumed_gb, priority_gb, standard_gb FROM usage_archive.daily_usage_history h
JOIN usage_archive.service_lines l USING (service_line_id)
WHERE l.source = 'counters' AND usage_date >= '2025-10-20' ORDER BY 1;
SELECT inserted, rejected FROM usage_archive.archive_payload('counters_simple',
  '{"CNT-S": {"daily_usage": [{"date": "2025-10-20", "usage_gb": 100}, {"date": "2025-10-21", "usage_gb": 100.001}]}}');
RESET usage_archive.max_daily_gb;
