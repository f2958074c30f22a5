-- The `starlink` kind: the V2 data-usage response envelope.
SELECT usage_archive.add_source('fleet', 'starlink', base_url => 'https://starlink.com/api');

SELECT inserted, updated, unchanged, skipped, rejected, collapsed
FROM usage_archive.archive_payload('fleet', starlink_payload(2, 3));

-- consumed_gb = priorityGB + standardGB; opt-in is part of priority, non-billable apart.
SELECT l.service_line_number, h.usage_date, h.consumed_gb, h.priority_gb, h.opt_in_priority_gb,
       h.standard_gb, h.non_billable_gb
FROM usage_archive.daily_usage_history h JOIN usage_archive.service_lines l USING (service_line_id)
WHERE l.source = 'fleet' ORDER BY 1, 2;

-- Service line metadata from the payload.
SELECT service_line_number, account_number, usage_limit_gb, client_name, last_seen_at >= date_trunc('day', now()) AS seen_today
FROM usage_archive.service_lines WHERE source = 'fleet' ORDER BY 1;

-- The jsonb and the text overloads are the same engine: identical data is unchanged.
SELECT inserted, updated, unchanged FROM usage_archive.archive_payload('fleet', starlink_payload(2, 3)::text);

-- A plan change reaches service_lines.
SELECT unchanged FROM usage_archive.archive_payload('fleet',
  jsonb_set(starlink_payload(1, 1), '{content,results,0,servicePlan,usageLimitGB}', '2048'));
SELECT service_line_number, usage_limit_gb FROM usage_archive.service_lines WHERE source = 'fleet' ORDER BY 1;

-- Overlapping billing cycles in ONE response: the same day in two cycles collapses, and the
-- later cycle's value wins.
SELECT inserted, updated, unchanged, collapsed FROM usage_archive.archive_payload('fleet', $${
  "isValid": true, "errors": [], "content": {"isLastPage": true, "results": [{
    "serviceLineNumber": "AST-7", "accountNumber": "ACC-7",
    "billingCycles": [
      {"startDate": "2025-09-03T00:00:00Z", "dailyDataUsage": [
        {"date": "2025-10-02T00:00:00Z", "priorityGB": 1, "standardGB": 1},
        {"date": "2025-10-03T00:00:00Z", "priorityGB": 1, "standardGB": 2}]},
      {"startDate": "2025-10-03T00:00:00Z", "dailyDataUsage": [
        {"date": "2025-10-03T00:00:00Z", "priorityGB": 1, "standardGB": 2.5},
        {"date": "2025-10-05T00:00:00Z", "priorityGB": 0.5, "optInPriorityGB": null}]}]}]}}$$);
-- 2025-10-04 was omitted by the API (zero usage): no row is invented for it.
SELECT h.usage_date, h.consumed_gb, h.priority_gb, h.opt_in_priority_gb, h.standard_gb
FROM usage_archive.daily_usage_history h JOIN usage_archive.service_lines l USING (service_line_id)
WHERE l.service_line_number = 'AST-7' ORDER BY 1;

-- Corrections of the partial days: new values replace the old, every change audited.
SELECT inserted, updated, unchanged FROM usage_archive.archive_payload('fleet', starlink_payload(2, 3, bump => 1.5));
SELECT l.service_line_number, c.usage_date, c.old_consumed_gb, c.new_consumed_gb, c.old_standard_gb, c.new_standard_gb
FROM usage_archive.usage_corrections c JOIN usage_archive.service_lines l USING (service_line_id)
WHERE l.source = 'fleet' ORDER BY 1, 2;

-- An error envelope fails the run with the API's own messages; nothing is written.
SELECT count(*) AS runs_before FROM usage_archive.archive_runs \gset
SELECT * FROM usage_archive.archive_payload('fleet',
  '{"isValid": false, "errors": [{"memberNames": ["serviceLineNumbers"], "errorMessage": "Failed to query data usage"}], "content": null}');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) = :runs_before AS no_run_recorded FROM usage_archive.archive_runs;
