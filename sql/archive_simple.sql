-- The story's scenarios on the `simple` kind: repeated runs, overlapping date ranges,
-- corrected values, missing data, and the monthly usage query that once showed doubling.
SELECT usage_archive.add_source('story', 'simple');

-- First run: 3 lines x 28 days.
SELECT inserted, updated, unchanged, skipped, rejected, collapsed
FROM usage_archive.archive_payload('story', simple_payload(3, 28));

-- The same payload, again and again: nothing new, nothing written.
SELECT inserted, updated, unchanged FROM usage_archive.archive_payload('story', simple_payload(3, 28));
SELECT inserted, updated, unchanged FROM usage_archive.archive_payload('story', simple_payload(3, 28)::text);
SELECT inserted, updated, unchanged FROM usage_archive.archive_payload('story', simple_payload(3, 28));

-- An overlapping range (the next billing cycle starts before the previous ends): days
-- 20..40 of the same lines. 8 days overlap, 13 are new per line.
SELECT inserted, updated, unchanged FROM usage_archive.archive_payload('story', simple_payload(3, 21, '2025-10-21'));

-- The story's query: per client, exactly one row per day, no doubled total.
UPDATE usage_archive.service_lines SET client_name = 'client ' || service_line_number WHERE source = 'story';
SELECT l.client_name, SUM(h.consumed_gb) AS total_usage, COUNT(*) AS record_count,
       COUNT(DISTINCT h.usage_date) AS distinct_days
FROM usage_archive.daily_usage_history h JOIN usage_archive.service_lines l USING (service_line_id)
WHERE l.source = 'story' AND h.usage_date >= '2025-10-01'
GROUP BY l.client_name ORDER BY l.client_name;

-- A corrected value (the API replaced a partial day): updated, and audited.
SELECT inserted, updated, unchanged
FROM usage_archive.archive_payload('story', '{"SL-1": {"daily_usage": [{"date": "2025-10-05", "usage_gb": 99.5}]}}');
SELECT l.service_line_number, c.usage_date, c.old_consumed_gb, c.new_consumed_gb, c.run_id = r.run_id AS same_run
FROM usage_archive.usage_corrections c
JOIN usage_archive.service_lines l USING (service_line_id)
JOIN (SELECT max(run_id) AS run_id FROM usage_archive.archive_runs) r ON true
WHERE l.source = 'story';
SELECT consumed_gb, last_run_id = (SELECT max(run_id) FROM usage_archive.archive_runs) AS by_last_run
FROM usage_archive.daily_usage_history h JOIN usage_archive.service_lines l USING (service_line_id)
WHERE l.service_line_number = 'SL-1' AND h.usage_date = '2025-10-05';

-- Within the tolerance (0.01 GB by default) a re-fetched value is the same value.
SELECT inserted, updated, unchanged
FROM usage_archive.archive_payload('story', '{"SL-1": {"daily_usage": [{"date": "2025-10-05", "usage_gb": 99.51}]}}');
SET usage_archive.tolerance_gb = 0;
SELECT inserted, updated, unchanged
FROM usage_archive.archive_payload('story', '{"SL-1": {"daily_usage": [{"date": "2025-10-05", "usage_gb": 99.501}]}}');
RESET usage_archive.tolerance_gb;

-- Missing data: a run that lacks a line or a day deletes nothing.
SELECT inserted, updated, unchanged FROM usage_archive.archive_payload('story', '{"SL-2": {"daily_usage": []}}');
SELECT count(*) FROM usage_archive.daily_usage_history h JOIN usage_archive.service_lines l USING (service_line_id)
WHERE l.source = 'story';

-- Duplicates inside one payload collapse; the last occurrence wins.
SELECT inserted, updated, unchanged, collapsed FROM usage_archive.archive_payload('story',
  '{"SL-9": {"daily_usage": [{"date": "2025-11-01", "usage_gb": 1}, {"date": "2025-11-01", "usage_gb": 2},
                            {"date": "2025-11-02", "usage_gb": 5}, {"date": "2025-11-01", "usage_gb": 3}]}}');
SELECT h.usage_date, h.consumed_gb FROM usage_archive.daily_usage_history h
JOIN usage_archive.service_lines l USING (service_line_id) WHERE l.service_line_number = 'SL-9' ORDER BY 1;

-- Unknown lines are registered by default; a source can refuse them: then they are skipped.
SELECT usage_archive.add_source('story_closed', 'simple', options => '{"register_new_service_lines": false}');
SELECT inserted, skipped FROM usage_archive.archive_payload('story_closed', simple_payload(2, 3));
INSERT INTO usage_archive.service_lines (source, service_line_number) VALUES ('story_closed', 'SL-2');
SELECT inserted, unchanged, skipped FROM usage_archive.archive_payload('story_closed', simple_payload(2, 3));
SELECT l.service_line_number, count(h.*) FROM usage_archive.service_lines l
LEFT JOIN usage_archive.daily_usage_history h USING (service_line_id)
WHERE l.source = 'story_closed' GROUP BY 1 ORDER BY 1;

-- Several archives in one statement: each sees the lines the ones before it registered.
CREATE TEMP TABLE staging (n int, body text);
INSERT INTO staging VALUES (1, '{"SL-NEW": {"daily_usage": [{"date": "2025-10-01", "usage_gb": 1}]}}'),
                           (2, '{"SL-NEW": {"daily_usage": [{"date": "2025-10-02", "usage_gb": 2}]}}');
SELECT n, r.inserted, r.unchanged, r.skipped FROM staging, LATERAL usage_archive.archive_payload('story', body) AS r ORDER BY n;
SELECT count(*) AS rows, count(DISTINCT service_line_id) AS lines FROM usage_archive.daily_usage_history h
JOIN usage_archive.service_lines l USING (service_line_id) WHERE l.service_line_number = 'SL-NEW';

-- Every run left its row.
SELECT source, status, entry_point, records, inserted, updated, unchanged, skipped, rejected, collapsed,
       finished_at >= started_at AS timed
FROM usage_archive.archive_runs WHERE source LIKE 'story%' ORDER BY run_id;
