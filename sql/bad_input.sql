-- Input that cannot be archived fails the call with a clear error and the right SQLSTATE,
-- and loses nothing: none of the payload is written, earlier rows stay as they were.
SELECT usage_archive.add_source('bad', 'starlink');
SELECT usage_archive.add_source('bad_simple', 'simple');
SELECT inserted FROM usage_archive.archive_payload('bad', starlink_payload(2, 5, prefix => 'BAD-'));

CREATE TEMP TABLE before AS
SELECT h.* FROM usage_archive.daily_usage_history h JOIN usage_archive.service_lines l USING (service_line_id)
WHERE l.source = 'bad';
SELECT count(*) AS runs_before FROM usage_archive.archive_runs \gset
SELECT count(*) AS lines_before FROM usage_archive.service_lines \gset

-- Truncated JSON (a body cut off in transit): the byte offset where it ends.
SELECT * FROM usage_archive.archive_payload('bad', left(starlink_payload(3, 5, bump => 7, prefix => 'BAD-')::text, 700));
\echo :LAST_ERROR_SQLSTATE
-- Not JSON at all.
SELECT * FROM usage_archive.archive_payload('bad', '<html>502 Bad Gateway</html>');
\echo :LAST_ERROR_SQLSTATE
-- NaN is not JSON either (some encoders write it bare).
SELECT * FROM usage_archive.archive_payload('bad_simple', '{"SL-1": {"daily_usage": [{"date": "2025-10-01", "usage_gb": NaN}]}}');
\echo :LAST_ERROR_SQLSTATE
-- Trailing garbage after the document.
SELECT * FROM usage_archive.archive_payload('bad_simple', '{"SL-1": {"daily_usage": []}} {}');
\echo :LAST_ERROR_SQLSTATE

-- JSON, but the wrong shape: the JSON path and what was expected.
SELECT * FROM usage_archive.archive_payload('bad', '[1, 2, 3]');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM usage_archive.archive_payload('bad', '{"isValid": true}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM usage_archive.archive_payload('bad',
  '{"isValid": true, "content": {"results": [{"serviceLineNumber": "BAD-1", "billingCycles": [{"dailyDataUsage": [{"date": "2025-10-01T00:00:00Z", "standardGB": 1}]}]}, {"serviceLineNumber": "BAD-2", "billingCycles": {"oops": true}}]}}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM usage_archive.archive_payload('bad', '{"content": {"results": [{"billingCycles": []}]}}');
\echo :LAST_ERROR_SQLSTATE
-- A simple payload given to a starlink source, and the other way round.
SELECT * FROM usage_archive.archive_payload('bad', simple_payload(1, 1));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM usage_archive.archive_payload('bad_simple', starlink_payload(1, 1));
\echo :LAST_ERROR_SQLSTATE

-- Arguments.
SELECT * FROM usage_archive.archive_payload(NULL, '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM usage_archive.archive_payload('bad', NULL::text);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM usage_archive.archive_payload('no_such_source', '{}');
\echo :LAST_ERROR_SQLSTATE
UPDATE usage_archive.sources SET enabled = false WHERE name = 'bad_simple';
SELECT * FROM usage_archive.archive_payload('bad_simple', '{}');
\echo :LAST_ERROR_SQLSTATE

-- Nothing changed: same rows, same values, no run row, no new service line.
SELECT count(*) AS rows_now, (SELECT count(*) FROM before) AS rows_before,
       NOT EXISTS (SELECT FROM before b FULL JOIN (
           SELECT h.* FROM usage_archive.daily_usage_history h JOIN usage_archive.service_lines l USING (service_line_id)
           WHERE l.source = 'bad') h USING (service_line_id, usage_date)
         WHERE b.consumed_gb IS DISTINCT FROM h.consumed_gb OR b.updated_at IS DISTINCT FROM h.updated_at) AS identical
FROM usage_archive.daily_usage_history h JOIN usage_archive.service_lines l USING (service_line_id) WHERE l.source = 'bad';
SELECT count(*) = :runs_before AS no_run_rows, (SELECT count(*) FROM usage_archive.service_lines) = :lines_before AS no_new_lines
FROM usage_archive.archive_runs;

-- add_source refuses what it cannot use.
SELECT usage_archive.add_source('x', 'csv');
\echo :LAST_ERROR_SQLSTATE
SELECT usage_archive.add_source('x', 'simple', base_url => 'file:///etc/passwd');
\echo :LAST_ERROR_SQLSTATE
SELECT usage_archive.add_source('x', 'simple', options => '[]');
\echo :LAST_ERROR_SQLSTATE
SELECT usage_archive.add_source('x', 'simple', options => '{"register_new_service_lines": "yes"}');
\echo :LAST_ERROR_SQLSTATE
-- page_limit: 1..250 service lines a page.
SELECT usage_archive.add_source('x', 'starlink', options => '{"page_limit": 0}');
\echo :LAST_ERROR_SQLSTATE
SELECT usage_archive.add_source('x', 'starlink', options => '{"page_limit": 251}');
\echo :LAST_ERROR_SQLSTATE
SELECT usage_archive.add_source('x', 'starlink', options => '{"page_limit": 250}');
SELECT usage_archive.add_source('x', 'starlink', options => '{"page_limit": 1}');
SELECT options FROM usage_archive.sources WHERE name = 'x';
DELETE FROM usage_archive.sources WHERE name = 'x';
SELECT usage_archive.add_source('', 'simple');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM usage_archive.sources WHERE name = 'x';
