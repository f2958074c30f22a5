-- A caller's search_path changes nothing the extension does. Any role that may create a
-- schema can put operators and functions named like pg_catalog's in front of them; the
-- extension's functions run with search_path = pg_catalog, pg_temp and name what they use.
\getenv mock_port USAGE_ARCHIVE_MOCK_PORT
\! python3 test/mock_api/control.py reset

-- Two starlink sources on the mock: only 'sp_fleet' has the client the mock accepts.
SELECT usage_archive.add_source('sp_fleet', 'starlink',
  base_url => 'http://127.0.0.1:' || :'mock_port' || '/api',
  token_url => 'http://127.0.0.1:' || :'mock_port' || '/api/auth/connect/token',
  client_id => 'test-client', client_secret => 'test-secret', options => '{"page_limit": 10}');
SELECT usage_archive.add_source('sp_staging', 'starlink',
  base_url => 'http://127.0.0.1:' || :'mock_port' || '/api',
  token_url => 'http://127.0.0.1:' || :'mock_port' || '/api/auth/connect/token',
  client_id => 'staging-client', client_secret => 'staging-secret');
SELECT usage_archive.add_source('sp_simple', 'simple');

-- The hostile schema: every object records that it ran, and does something wrong.
CREATE SCHEMA arch;
CREATE TABLE arch.calls (name text);
CREATE FUNCTION arch.called(name text) RETURNS void LANGUAGE sql AS $$ INSERT INTO arch.calls VALUES (name) $$;
-- The review's example: "=" on text that matches the other source.
CREATE FUNCTION arch.text_eq(a text, b text) RETURNS boolean LANGUAGE plpgsql
AS $$ BEGIN PERFORM arch.called('text ='); RETURN a OPERATOR(pg_catalog.=) 'sp_staging'; END $$;
CREATE OPERATOR arch.= (leftarg = text, rightarg = text, function = arch.text_eq);
CREATE FUNCTION arch.int8_eq(a bigint, b bigint) RETURNS boolean LANGUAGE plpgsql
AS $$ BEGIN PERFORM arch.called('bigint ='); RETURN false; END $$;
CREATE OPERATOR arch.= (leftarg = bigint, rightarg = bigint, function = arch.int8_eq);
CREATE FUNCTION arch.date_eq(a date, b date) RETURNS boolean LANGUAGE plpgsql
AS $$ BEGIN PERFORM arch.called('date ='); RETURN false; END $$;
CREATE OPERATOR arch.= (leftarg = date, rightarg = date, function = arch.date_eq);
CREATE FUNCTION arch.tstz_ge(a timestamptz, b timestamptz) RETURNS boolean LANGUAGE plpgsql
AS $$ BEGIN PERFORM arch.called('timestamptz >='); RETURN true; END $$;
CREATE OPERATOR arch.>= (leftarg = timestamptz, rightarg = timestamptz, function = arch.tstz_ge);
CREATE FUNCTION arch.unnest(a anyarray) RETURNS SETOF anyelement LANGUAGE plpgsql
AS $$ BEGIN PERFORM arch.called('unnest'); RETURN; END $$;
CREATE FUNCTION arch.unnest(a anyarray, b anyarray, c anyarray) RETURNS SETOF record LANGUAGE plpgsql
AS $$ BEGIN PERFORM arch.called('unnest(3)'); RETURN; END $$;
CREATE FUNCTION arch.now() RETURNS timestamptz LANGUAGE plpgsql
AS $$ BEGIN PERFORM arch.called('now'); RETURN timestamptz '1999-01-01'; END $$;
CREATE FUNCTION arch.clock_timestamp() RETURNS timestamptz LANGUAGE plpgsql
AS $$ BEGIN PERFORM arch.called('clock_timestamp'); RETURN timestamptz '1999-01-01'; END $$;
CREATE FUNCTION arch.date_trunc(f text, t timestamptz) RETURNS timestamptz LANGUAGE plpgsql
AS $$ BEGIN PERFORM arch.called('date_trunc'); RETURN timestamptz '1999-01-01'; END $$;
CREATE FUNCTION arch.lower(t text) RETURNS text LANGUAGE plpgsql
AS $$ BEGIN PERFORM arch.called('lower'); RETURN 'x'; END $$;
CREATE FUNCTION arch.hashtext(t text) RETURNS int LANGUAGE plpgsql
AS $$ BEGIN PERFORM arch.called('hashtext'); RETURN 0; END $$;
CREATE FUNCTION arch.pg_advisory_xact_lock(a int, b int) RETURNS void LANGUAGE sql
AS $$ SELECT arch.called('pg_advisory_xact_lock') $$;
CREATE FUNCTION arch.jsonb_typeof(j jsonb) RETURNS text LANGUAGE plpgsql
AS $$ BEGIN PERFORM arch.called('jsonb_typeof'); RETURN 'object'; END $$;
CREATE FUNCTION arch.quote_literal(t text) RETURNS text LANGUAGE plpgsql
AS $$ BEGIN PERFORM arch.called('quote_literal'); RETURN t; END $$;

-- Everything a user calls, with the hostile schema first on the path.
SET search_path = arch, pg_catalog, public;
SELECT usage_archive.add_source('sp_simple', 'simple', options => '{"register_new_service_lines": true}');
SELECT inserted, updated, unchanged FROM usage_archive.archive_payload('sp_simple', simple_payload(2, 5, prefix => 'SP-'));
SELECT inserted, updated, unchanged FROM usage_archive.archive_payload('sp_simple', simple_payload(2, 5, prefix => 'SP-', bump => 1));
SELECT inserted, updated, unchanged FROM usage_archive.archive_payload('sp_simple', simple_payload(2, 5, prefix => 'SP-', bump => 1)::jsonb);
-- The secret used is sp_fleet's, sent to sp_fleet's token URL: the mock accepts it.
SELECT inserted > 0 AS inserted FROM usage_archive.archive_usage('sp_fleet');
SELECT usage_archive.add_source('sp_bad', 'bogus');
-- The guard trigger on a legacy table (its plans are first made under this path), with text
-- and date keys and a numeric compared column; the counters it adds at commit.
CREATE TABLE public.sp_legacy (line text, day date, gb numeric);
CREATE UNIQUE INDEX ON public.sp_legacy (line, day);
SELECT usage_archive.protect('public.sp_legacy', '{line,day}');
INSERT INTO public.sp_legacy VALUES ('a', '2025-01-01', 1), ('b', '2025-01-01', 2);
INSERT INTO public.sp_legacy VALUES ('a', '2025-01-01', 1), ('b', '2025-01-01', 3), ('c', '2025-01-02', 4);
SELECT inserted, updated, unchanged FROM usage_archive.archive_records('public.sp_legacy',
  '[{"line": "a", "day": "2025-01-01", "gb": 5}, {"line": "d", "day": "2025-01-03", "gb": 1}]', '{line,day}');
SELECT * FROM usage_archive.find_duplicates('public.sp_legacy', '{line,day}');
RESET search_path;
SELECT line, day, gb FROM public.sp_legacy ORDER BY line, day;
SELECT inserted, converted_to_update, suppressed FROM usage_archive.protected_tables
WHERE table_name = 'public.sp_legacy'::regclass;

SELECT count(*) AS hostile_calls, string_agg(DISTINCT name, ', ') AS which FROM arch.calls;
SELECT source, entry_point, status, inserted, updated, unchanged FROM usage_archive.archive_runs
WHERE source LIKE 'sp\_%' ORDER BY run_id;
SELECT count(*) AS rows, count(DISTINCT (service_line_id, usage_date)) AS keys, sum(consumed_gb) AS total
FROM usage_archive.daily_usage_history h JOIN usage_archive.service_lines l USING (service_line_id)
WHERE l.source = 'sp_simple';
SELECT count(*) AS corrections FROM usage_archive.usage_corrections c
JOIN usage_archive.service_lines l USING (service_line_id) WHERE l.source = 'sp_simple';
SELECT count(*) > 0 AS fleet_rows FROM usage_archive.service_lines WHERE source = 'sp_fleet';
SELECT count(*) AS staging_rows FROM usage_archive.service_lines WHERE source = 'sp_staging';
-- The mock saw only the real client's credentials.
\! python3 test/mock_api/control.py stats tokens_issued
\! python3 test/mock_api/control.py stats requests.token

-- Every function of the extension pins its search_path, but the guard trigger: it runs per
-- inserted row, as the inserting role, with statements that qualify every name (the
-- protected table above proves the hostile operators were not called).
SELECT p.oid::regprocedure AS unpinned FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname IN ('usage_archive', 'usage_archive_private')
  AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false)
  AND p.oid <> 'usage_archive.enforce_unique()'::regprocedure;

DROP SCHEMA arch CASCADE;
SELECT usage_archive.unprotect('public.sp_legacy');
DROP TABLE public.sp_legacy;
