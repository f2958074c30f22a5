-- Talking to the vendor API as its real clients do (against the mock, 20 service lines, its
-- calendar ending 2025-11-15): the request body, inactive lines, backfill by date, the plan.
\getenv mock_port USAGE_ARCHIVE_MOCK_PORT
-- Every source here talks to the mock with the same credentials; only the options differ.
CREATE FUNCTION req_source(name text, options jsonb) RETURNS void LANGUAGE sql AS $$
  SELECT usage_archive.add_source(name, 'starlink',
    base_url => 'http://127.0.0.1:' || current_setting('req.mock_port') || '/api',
    token_url => 'http://127.0.0.1:' || current_setting('req.mock_port') || '/api/auth/connect/token',
    client_id => 'test-client', client_secret => 'test-secret', options => options)
$$;
SELECT set_config('req.mock_port', :'mock_port', false) IS NOT NULL AS port_set;
\! python3 test/mock_api/control.py reset
\! python3 test/mock_api/control.py set '{"freeze_revision": true}'

SELECT req_source('req', '{"page_limit": 10}');

-- The body: all lines are [] (the mock, a strict validator, answers 422 to null), and
-- activeServiceLinesOnly is always sent: false unless the source says otherwise.
SELECT inserted, updated, unchanged FROM usage_archive.archive_usage('req', 0);
\! python3 test/mock_api/control.py stats last_query_body
SELECT api_request FROM usage_archive.archive_runs ORDER BY run_id DESC LIMIT 1;
SELECT inserted, updated, unchanged FROM usage_archive.archive_usage('req', 1, ARRAY['AST-100003-23757-03', 'AST-100007-55433-07']);
\! python3 test/mock_api/control.py stats last_query_body

-- Inactive lines: every 5th line of the mock was deactivated halfway through its current
-- billing cycle. With the default (false) its last cycle is archived up to that day; a
-- source asking for active lines only (the API's own default) loses them.
\! python3 test/mock_api/control.py reset
\! python3 test/mock_api/control.py set '{"freeze_revision": true, "inactive_every": 5}'
SELECT req_source('req_all', '{"page_limit": 10}');
SELECT req_source('req_active', '{"page_limit": 10, "active_service_lines_only": true}');
SELECT inserted, updated, unchanged FROM usage_archive.archive_usage('req_all', 0);
SELECT inserted, updated, unchanged FROM usage_archive.archive_usage('req_active', 0);
\! python3 test/mock_api/control.py stats last_query_body
SELECT l.source, count(DISTINCT l.service_line_id) AS lines_archived
FROM usage_archive.service_lines l JOIN usage_archive.daily_usage_history h USING (service_line_id)
WHERE l.source IN ('req_all', 'req_active') GROUP BY 1 ORDER BY 1;
-- AST-100004 (line 4) was deactivated mid-cycle: its cycle is kept, up to the last day it had.
SELECT b.cycle_start, b.cycle_end, max(h.usage_date) AS last_day_archived,
       max(h.usage_date) < b.cycle_end AS ended_mid_cycle
FROM usage_archive.service_lines l JOIN usage_archive.billing_cycles b USING (service_line_id)
JOIN usage_archive.daily_usage_history h ON h.service_line_id = l.service_line_id
     AND h.usage_date BETWEEN b.cycle_start AND b.cycle_end
WHERE l.source = 'req_all' AND l.service_line_number = 'AST-100004-31676-04' GROUP BY 1, 2;

-- Backfill: twelve months of the fleet from one day (queryStartDate), then the same call is
-- all unchanged. The run log says which form each run used.
\! python3 test/mock_api/control.py reset
\! python3 test/mock_api/control.py set '{"freeze_revision": true}'
SELECT req_source('req_backfill', '{"page_limit": 10}');
SELECT inserted, updated, unchanged FROM usage_archive.archive_usage('req_backfill', since => date '2024-11-15');
\! python3 test/mock_api/control.py stats last_query_body
SELECT inserted, updated, unchanged FROM usage_archive.archive_usage('req_backfill', since => date '2024-11-15');
SELECT min(h.usage_date) AS first_day, max(h.usage_date) AS last_day, count(DISTINCT b.cycle_start) AS cycles
FROM usage_archive.service_lines l JOIN usage_archive.daily_usage_history h USING (service_line_id)
JOIN usage_archive.billing_cycles b USING (service_line_id)
WHERE l.source = 'req_backfill' AND l.service_line_number = 'AST-100000-00000-00';
SELECT entry_point, api_request ->> 'queryStartDate' AS query_start_date,
       api_request ->> 'previousBillingCycles' AS previous_billing_cycles, status
FROM usage_archive.archive_runs WHERE source LIKE 'req%' ORDER BY run_id;
-- Some lines only; and what is refused.
SELECT inserted, updated, unchanged FROM usage_archive.archive_usage('req_backfill', date '2025-06-01',
                                                                  ARRAY['AST-100001-07919-01']);
SELECT * FROM usage_archive.archive_usage('req_backfill', since => date '2099-01-01');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM usage_archive.archive_usage('req_backfill', since => NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT usage_archive.add_source('req_simple', 'simple', base_url => 'http://127.0.0.1:' || :'mock_port' || '/simple');
SELECT * FROM usage_archive.archive_usage('req_simple', since => date '2025-01-01');
\echo :LAST_ERROR_SQLSTATE
SELECT usage_archive.add_source('req_bad', 'starlink', options => '{"active_service_lines_only": "yes"}');
\echo :LAST_ERROR_SQLSTATE

-- The plan as the API sends it: limit, account, product and overage opt-in, kept current
-- with no write when nothing changed.
SELECT service_line_number, account_number, usage_limit_gb, product_id, opted_into_overage
FROM usage_archive.service_lines WHERE source = 'req_backfill' ORDER BY 1 LIMIT 4;
SELECT xmin AS line_version FROM usage_archive.service_lines
WHERE source = 'req_backfill' ORDER BY service_line_number LIMIT 1 \gset
SELECT inserted, updated, unchanged FROM usage_archive.archive_usage('req_backfill', 0);
SELECT xmin = :'line_version' AS line_not_rewritten FROM usage_archive.service_lines
WHERE source = 'req_backfill' ORDER BY service_line_number LIMIT 1;
\! python3 test/mock_api/control.py reset
