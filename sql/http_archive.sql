-- archive_usage against the mock vendor API (test/mock_api, a real HTTP server on
-- 127.0.0.1 started by make test; its port is in USAGE_ARCHIVE_MOCK_PORT). 20 service lines.
\getenv mock_port USAGE_ARCHIVE_MOCK_PORT
\set control 'python3 test/mock_api/control.py'
\! python3 test/mock_api/control.py reset

-- Runs archive_usage and returns 'ok' or the SQLSTATE and message, the port masked.
CREATE FUNCTION try_archive(source text, cycles int DEFAULT 1, lines text[] DEFAULT NULL) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM usage_archive.archive_usage(source, cycles, lines);
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || regexp_replace(SQLERRM, '127\.0\.0\.1:[0-9]+', '127.0.0.1:PORT', 'g');
END $$;
CREATE FUNCTION last_http_run(OUT records bigint, OUT inserted bigint, OUT updated bigint, OUT unchanged bigint,
                         OUT http_requests bigint, OUT http_retries bigint, OUT fetched boolean)
LANGUAGE sql AS $$
  SELECT records, inserted, updated, unchanged, http_requests, http_retries, bytes_received > 0 AND fetch_ms >= 0
  FROM usage_archive.archive_runs ORDER BY run_id DESC LIMIT 1 $$;
CREATE FUNCTION mock_snapshot() RETURNS TABLE (n bigint, total numeric, last_update timestamptz)
LANGUAGE sql AS $$
  SELECT count(*), sum(consumed_gb), max(updated_at) FROM usage_archive.daily_usage_history h
  JOIN usage_archive.service_lines l USING (service_line_id) WHERE l.source = 'mock' $$;

SELECT usage_archive.add_source('mock', 'starlink',
  base_url => 'http://127.0.0.1:' || :'mock_port' || '/api',
  token_url => 'http://127.0.0.1:' || :'mock_port' || '/api/auth/connect/token',
  client_id => 'test-client', client_secret => 'test-secret',
  options => '{"page_limit": 5}');

-- Three consecutive runs with overlapping billing cycles: the current cycle, then the
-- previous one too, twice. The mock's calendar is fixed (test/mock_api/starlink_data.py), so
-- every counter is an exact number. The second run repeats the current cycle (unchanged,
-- but for today and yesterday, whose values the API still revises: corrections, never new
-- rows) and adds the previous one (new rows); the third adds nothing. One request at a time:
-- the mock revises its partial days at each page 0, and a page sent alongside page 0 could
-- arrive before it or after it.
SET usage_archive.max_concurrent_requests = 1;
SELECT inserted, updated, unchanged, skipped, rejected, collapsed FROM usage_archive.archive_usage('mock', 0);
SELECT records, http_requests, http_retries, fetched FROM last_http_run();
SELECT api_request ->> 'previousBillingCycles' AS previous_billing_cycles FROM usage_archive.archive_runs
ORDER BY run_id DESC LIMIT 1;
-- Every request says which version of the extension sent it.
\set user_agents `python3 test/mock_api/control.py stats user_agents`
SELECT array(SELECT jsonb_object_keys(:'user_agents'::jsonb)) = ARRAY['usage_archive/' || extversion] AS user_agent_is_version
FROM pg_extension WHERE extname = 'usage_archive';
SELECT inserted, updated, unchanged, skipped, rejected, collapsed FROM usage_archive.archive_usage('mock', 1);
SELECT records, http_requests FROM last_http_run();
SELECT api_request ->> 'previousBillingCycles' AS previous_billing_cycles FROM usage_archive.archive_runs
ORDER BY run_id DESC LIMIT 1;
SELECT inserted, updated, unchanged, skipped, rejected, collapsed FROM usage_archive.archive_usage('mock', 1);
SELECT records, http_requests FROM last_http_run();
-- One row per line and day; the story's monthly query shows no doubling.
SELECT count(*) AS rows, count(DISTINCT (service_line_id, usage_date)) AS distinct_keys
FROM usage_archive.daily_usage_history h JOIN usage_archive.service_lines l USING (service_line_id) WHERE l.source = 'mock';
SELECT max(c) AS most_rows_per_line_and_month, max(d) AS most_days_in_a_month
FROM (SELECT service_line_id, date_trunc('month', usage_date), count(*) AS c, count(DISTINCT usage_date) AS d
      FROM usage_archive.daily_usage_history GROUP BY 1, 2) m;
SELECT count(*) AS lines, count(account_number) AS with_account, count(usage_limit_gb) AS with_plan
FROM usage_archive.service_lines WHERE source = 'mock';
-- The corrections were audited.
SELECT count(*) AS corrections_audited FROM usage_archive.usage_corrections c
JOIN usage_archive.service_lines l USING (service_line_id) WHERE l.source = 'mock';

-- Only some service lines.
SELECT try_archive('mock', 1, ARRAY['AST-100000-00000-00']);
SELECT records, inserted, updated, unchanged FROM last_http_run();
RESET usage_archive.max_concurrent_requests;

-- 429 with and without Retry-After, and 5xx: retried, then success. The mock's faults
-- answer requests in arrival order: one request at a time keeps them on page 0 (a run of a
-- source with known lines otherwise asks for several pages at once, see below).
SET usage_archive.max_concurrent_requests = 1;
\! python3 test/mock_api/control.py set '{"status_sequence": [429, 429], "retry_after": 0}'
SELECT try_archive('mock');
SELECT http_retries FROM last_http_run();
\! python3 test/mock_api/control.py reset
\! python3 test/mock_api/control.py set '{"status_sequence": [429, 503]}'
SELECT try_archive('mock');
SELECT http_retries FROM last_http_run();
\! python3 test/mock_api/control.py reset

-- From here on every failure must leave the archive exactly as it was.
CREATE TEMP TABLE before AS SELECT * FROM mock_snapshot();
SELECT count(*) AS runs_before FROM usage_archive.archive_runs \gset

-- Retries exhausted.
SET usage_archive.max_retries = 1;
\! python3 test/mock_api/control.py set '{"status_sequence": [503, 503, 503]}'
SELECT try_archive('mock');
RESET usage_archive.max_retries;
\! python3 test/mock_api/control.py reset
-- 4xx and isValid false fail at once with the API's own words.
\! python3 test/mock_api/control.py set '{"status_sequence": [422]}'
SELECT try_archive('mock');
\! python3 test/mock_api/control.py reset
\! python3 test/mock_api/control.py set '{"invalid_envelope": true}'
SELECT try_archive('mock');
\! python3 test/mock_api/control.py reset
-- The last page fails: nothing of the earlier pages is written.
SET usage_archive.max_retries = 0;
\! python3 test/mock_api/control.py set '{"fail_page": {"page": 3, "status": 500}}'
SELECT try_archive('mock');
RESET usage_archive.max_retries;
\! python3 test/mock_api/control.py reset
-- A truncated body: the JSON error names the position and the request.
\! python3 test/mock_api/control.py set '{"truncate_page": 2, "truncate_mode": "short_body"}'
SELECT try_archive('mock');
\! python3 test/mock_api/control.py set '{"truncate_page": 2, "truncate_mode": "early_close"}'
SELECT try_archive('mock');
\! python3 test/mock_api/control.py reset
-- A body over usage_archive.max_response_bytes is cut off.
SET usage_archive.max_response_bytes = '200kB';
\! python3 test/mock_api/control.py set '{"oversize_bytes": 1000000}'
SELECT try_archive('mock');
RESET usage_archive.max_response_bytes;
\! python3 test/mock_api/control.py reset
-- A slow server: the request timeout.
SET usage_archive.request_timeout_ms = 300;
\! python3 test/mock_api/control.py set '{"hang_ms": 3000}'
SELECT try_archive('mock');
RESET usage_archive.request_timeout_ms;
\! python3 test/mock_api/control.py reset
-- Redirects: to another host refused; on the same host at most 3.
\! python3 test/mock_api/control.py set '{"redirect": {"status": 302, "location": "http://evil.invalid:1/steal"}}'
SELECT try_archive('mock');
\! python3 test/mock_api/control.py reset
\! python3 test/mock_api/control.py set '{"redirect_same_host_hops": 4}'
SELECT try_archive('mock');
\! python3 test/mock_api/control.py reset
-- Hosts outside usage_archive.allowed_hosts are refused before connecting.
SET usage_archive.allowed_hosts = 'api.example.com';
SELECT try_archive('mock');
RESET usage_archive.allowed_hosts;
\! python3 test/mock_api/control.py stats requests.data_usage
-- The token endpoint refuses the client: the message has no secret in it.
SELECT usage_archive.add_source('mock_badtoken', 'starlink',
  base_url => 'http://127.0.0.1:' || :'mock_port' || '/api',
  token_url => 'http://127.0.0.1:' || :'mock_port' || '/api/auth/connect/token',
  client_id => 'other-client', client_secret => 'not-the-secret');
SELECT try_archive('mock_badtoken');
-- ... and one that is down.
\! python3 test/mock_api/control.py set '{"token_status": 503}'
SET usage_archive.max_retries = 0;
SELECT try_archive('mock_badtoken');
RESET usage_archive.max_retries;
\! python3 test/mock_api/control.py reset

SELECT (SELECT n FROM mock_snapshot()) = (SELECT n FROM before) AND (SELECT total FROM mock_snapshot()) = (SELECT total FROM before)
       AND (SELECT last_update FROM mock_snapshot()) = (SELECT last_update FROM before) AS archive_unchanged,
       (SELECT count(*) FROM usage_archive.archive_runs) = :runs_before AS no_run_rows;

-- Redirects within the host (up to 3) are followed; an expired token is replaced once.
\! python3 test/mock_api/control.py set '{"redirect_same_host_hops": 2}'
SELECT try_archive('mock');
\! python3 test/mock_api/control.py reset
\! python3 test/mock_api/control.py set '{"expire_tokens_now": true}'
SELECT try_archive('mock');
SELECT http_retries FROM last_http_run();
\! python3 test/mock_api/control.py stats tokens_issued
RESET usage_archive.max_concurrent_requests;

-- Before page 0 says how many pages there are, a run asks for as many pages as the source's
-- known lines fill (at most max_concurrent_requests) at once; a page past the last one is
-- dropped, whatever it answers. 20 lines at 10 a page are 2 pages; 10 more known lines make
-- the run guess 3, and page 2 fails (no retries): the run does not.
SELECT usage_archive.add_source('mock_spec', 'starlink',
  base_url => 'http://127.0.0.1:' || :'mock_port' || '/api',
  token_url => 'http://127.0.0.1:' || :'mock_port' || '/api/auth/connect/token',
  client_id => 'test-client', client_secret => 'test-secret',
  options => '{"page_limit": 10}');
SELECT try_archive('mock_spec');
SELECT records, http_requests - http_retries AS requests FROM last_http_run();
INSERT INTO usage_archive.service_lines (source, service_line_number)
SELECT 'mock_spec', 'SPECULATION-' || i FROM generate_series(1, 10) i;
SET usage_archive.max_retries = 0;
\! python3 test/mock_api/control.py set '{"fail_page": {"page": 2, "status": 500}}'
SELECT try_archive('mock_spec');
SELECT records, inserted AS new_rows, http_requests AS requests FROM last_http_run();
\! python3 test/mock_api/control.py reset
RESET usage_archive.max_retries;
DELETE FROM usage_archive.service_lines WHERE service_line_number LIKE 'SPECULATION-%';

-- The same day twice in one response (overlapping cycles): collapsed. (How many of the known
-- days the API corrected since the last run depends on the mock's clock: their sum is shown.)
\! python3 test/mock_api/control.py set '{"duplicate_days": true}'
SET usage_archive.max_concurrent_requests = 1; -- exact numbers: see the first runs
SELECT inserted, updated + unchanged AS known_days, collapsed FROM usage_archive.archive_usage('mock');
RESET usage_archive.max_concurrent_requests;
\! python3 test/mock_api/control.py reset

-- The simple kind: one GET.
SELECT usage_archive.add_source('mock_simple', 'simple', base_url => 'http://127.0.0.1:' || :'mock_port' || '/simple');
SELECT inserted, updated, unchanged FROM usage_archive.archive_usage('mock_simple');
SELECT http_requests FROM last_http_run();

-- Sources that cannot be fetched, and bad arguments.
SELECT usage_archive.add_source('mock_nourl', 'simple');
SELECT try_archive('mock_nourl');
SELECT usage_archive.add_source('mock_nocreds', 'starlink', base_url => 'http://127.0.0.1:1/api');
SELECT try_archive('mock_nocreds');
SELECT try_archive('mock', -1);
-- previous_billing_cycles is 0..120: 120 is what the request asks for, 121 is refused.
SELECT try_archive('mock', 120);
SELECT api_request ->> 'previousBillingCycles' AS previous_billing_cycles FROM usage_archive.archive_runs
ORDER BY run_id DESC LIMIT 1;
SELECT try_archive('mock', 121);
-- schedule_archive checks the same range (before it looks for pg_cron, absent here).
SELECT usage_archive.schedule_archive('mock', '* * * * *', 121);
\echo :LAST_ERROR_SQLSTATE
SELECT usage_archive.schedule_archive('mock', '* * * * *', 120);
\echo :LAST_ERROR_SQLSTATE
SELECT try_archive('mock', 1, ARRAY[NULL]);
SELECT try_archive(NULL);

-- No secret or token anywhere a user can see.
SELECT count(*) AS secrets_in_run_log FROM usage_archive.archive_runs r
WHERE r::text ~ '(test-secret|not-the-secret|Bearer)';
