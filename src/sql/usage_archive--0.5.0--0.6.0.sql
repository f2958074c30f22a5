-- usage_archive 0.5.0 -> 0.6.0: operate it (issue 10): what the API covered, data-quality
-- checks, usage reports, pg_cron scheduling.
\echo Use "ALTER EXTENSION usage_archive UPDATE TO '0.6.0'" to load this file. \quit

-- What the API covered, per (service line, billing cycle), as its latest report said: the
-- days it answered for (cycle_start .. covered_through), the days it listed (it omits days
-- without usage: a covered day it did not list is a zero, not a gap), the totals it computed
-- and the plan's limit. Written by starlink runs only when something changed.
CREATE TABLE usage_archive.billing_cycles (
    service_line_id          bigint NOT NULL REFERENCES usage_archive.service_lines (service_line_id),
    cycle_start              date NOT NULL,
    cycle_end                date NOT NULL CHECK (cycle_end >= cycle_start),
    -- The last day the API answered for; the day before cycle_start: none yet.
    covered_through          date NOT NULL CHECK (covered_through BETWEEN cycle_start - 1 AND cycle_end),
    reported_days            date[] NOT NULL,
    total_priority_gb        numeric(14,3),
    total_standard_gb        numeric(14,3),
    total_opt_in_priority_gb numeric(14,3),
    total_non_billable_gb    numeric(14,3),
    usage_limit_gb           numeric,
    first_run_id             bigint NOT NULL,
    last_run_id              bigint NOT NULL,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (service_line_id, cycle_start)
);
COMMENT ON TABLE usage_archive.billing_cycles IS
    'What the API covered per service line and billing cycle, as its latest report said (written by archive runs).';
SELECT pg_catalog.pg_extension_config_dump('usage_archive.billing_cycles', '');

-- When the uniqueness sweep last looked at a table: its findings are current from then on.
ALTER TABLE usage_archive_private.uniqueness_targets ADD COLUMN last_swept_at timestamptz;

-- options.max_staleness (check_data_quality's stale_source): a positive interval. The CHECK
-- on sources runs this with the rights of whoever writes a source, so it names nothing in
-- usage_archive_private (text that is no interval fails the cast itself: 22007).
CREATE OR REPLACE FUNCTION usage_archive_private.valid_source_options(options jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $fn$
    SELECT jsonb_typeof(options) = 'object'
       AND (NOT options ? 'register_new_service_lines'
            OR jsonb_typeof(options -> 'register_new_service_lines') = 'boolean')
       AND (NOT options ? 'page_limit'
            OR (jsonb_typeof(options -> 'page_limit') = 'number'
                AND (options ->> 'page_limit')::numeric BETWEEN 1 AND 250
                AND (options ->> 'page_limit')::numeric % 1 = 0))
       AND (NOT options ? 'rate_limit_per_minute'
            OR (jsonb_typeof(options -> 'rate_limit_per_minute') = 'number'
                AND (options ->> 'rate_limit_per_minute')::numeric BETWEEN 1 AND 100000
                AND (options ->> 'rate_limit_per_minute')::numeric % 1 = 0))
       AND (NOT options ? 'max_staleness'
            OR (jsonb_typeof(options -> 'max_staleness') = 'string'
                AND (options ->> 'max_staleness')::interval > interval '0'))
$fn$;

-- One finding of check_data_quality (a type, so that the function's argument "source" and
-- the finding's column "source" can share their name).
CREATE TYPE usage_archive.quality_finding AS (
    check_name          text,
    severity            text,
    source              text,
    service_line_number text,
    period_start        date,
    period_end          date,
    observed            numeric,
    expected            numeric,
    detail              jsonb
);

CREATE FUNCTION usage_archive.check_data_quality(source text DEFAULT NULL, since date DEFAULT current_date - 90)
RETURNS SETOF usage_archive.quality_finding
AS 'MODULE_PATHNAME', 'usage_archive_check_data_quality'
LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION usage_archive.check_data_quality(text, date) IS
    'The data-quality checks: duplicate keys, missing days, spikes, invalid values, cycle totals, over plan, stale sources, failed runs.';

-- The checks as an assertion, for cron jobs and CI: an error listing the findings at or above
-- min_severity, else the number of findings below it.
CREATE FUNCTION usage_archive.assert_data_quality(min_severity text DEFAULT 'error', source text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    levels constant text[] := ARRAY['info', 'warning', 'error'];
    threshold int := array_position(levels, assert_data_quality.min_severity);
    failing bigint := 0;
    passing bigint := 0;
    listing text := '';
    f usage_archive.quality_finding;
BEGIN
    IF threshold IS NULL THEN
        RAISE EXCEPTION 'min_severity must be ''info'', ''warning'' or ''error'', not %',
            coalesce(quote_literal(assert_data_quality.min_severity), 'NULL') USING ERRCODE = '22023';
    END IF;
    FOR f IN SELECT * FROM usage_archive.check_data_quality(assert_data_quality.source)
             ORDER BY array_position(levels, severity) DESC, check_name, source, service_line_number, period_start
    LOOP
        IF array_position(levels, f.severity) >= threshold THEN
            failing := failing + 1;
            IF failing <= 20 THEN
                listing := listing || format(E'\n%s %s%s%s: observed %s, expected %s%s', f.severity, f.check_name,
                    coalesce(' ' || f.source, ''), coalesce(' ' || f.service_line_number, ''),
                    coalesce(f.observed::text, '-'), coalesce(f.expected::text, '-'),
                    coalesce(' ' || CASE WHEN f.period_start = f.period_end OR f.period_end IS NULL
                                         THEN f.period_start::text
                                         ELSE f.period_start || '..' || f.period_end END, ''));
            END IF;
        ELSE
            passing := passing + 1;
        END IF;
    END LOOP;
    IF failing > 0 THEN
        RAISE EXCEPTION 'usage_archive: % data-quality finding(s) at or above severity %', failing,
            quote_literal(assert_data_quality.min_severity)
            USING ERRCODE = '23514',
                  DETAIL = ltrim(listing, E'\n') || CASE WHEN failing > 20 THEN format(E'\n... and %s more', failing - 20) ELSE '' END,
                  HINT = 'SELECT * FROM usage_archive.check_data_quality() shows them all.';
    END IF;
    RETURN passing;
END
$fn$;
COMMENT ON FUNCTION usage_archive.assert_data_quality(text, text) IS
    'Fails (SQLSTATE 23514) listing the data-quality findings at or above min_severity; else returns the number below it.';

-- Reports. security_invoker: they read the tables with the privileges (and row-level
-- security) of whoever queries them.
CREATE VIEW usage_archive.monthly_usage WITH (security_invoker = true) AS
SELECT l.source, l.client_name, l.service_line_number,
       date_trunc('month', h.usage_date::timestamp)::date AS month,
       sum(h.consumed_gb) AS total_gb,
       count(*) AS days_reported
FROM usage_archive.daily_usage_history h
JOIN usage_archive.service_lines l USING (service_line_id)
GROUP BY l.source, l.client_name, l.service_line_number, date_trunc('month', h.usage_date::timestamp);
COMMENT ON VIEW usage_archive.monthly_usage IS
    'Consumption per service line and calendar month: the story''s monthly report, on clean data.';

CREATE VIEW usage_archive.billing_cycle_usage WITH (security_invoker = true) AS
SELECT l.source, l.service_line_number, b.cycle_start, b.cycle_end,
       coalesce(u.total_gb, 0) AS total_gb,
       coalesce(b.usage_limit_gb, l.usage_limit_gb) AS usage_limit_gb,
       round(100 * coalesce(u.total_gb, 0) / nullif(coalesce(b.usage_limit_gb, l.usage_limit_gb), 0), 1) AS pct_of_plan,
       coalesce(u.total_gb, 0) > coalesce(b.usage_limit_gb, l.usage_limit_gb) AS over_plan
FROM usage_archive.billing_cycles b
JOIN usage_archive.service_lines l USING (service_line_id)
LEFT JOIN LATERAL (
    SELECT sum(h.consumed_gb) AS total_gb FROM usage_archive.daily_usage_history h
    WHERE h.service_line_id = b.service_line_id AND h.usage_date BETWEEN b.cycle_start AND b.cycle_end) u ON true;
COMMENT ON VIEW usage_archive.billing_cycle_usage IS
    'Consumption per service line and billing cycle against the plan''s limit.';

-- pg_cron scheduling. pg_cron may be installed after usage_archive, or not at all: its
-- functions are called by name when these run, never referenced when they are created. The
-- functions run as the caller (a pg_cron job runs as the role that scheduled it), so they use
-- nothing in usage_archive_private.

-- The pg_cron job name of a source's archive (job 'archive') or quality check
-- ('quality_check'; source NULL: all sources): one job per source, kind and role, so that
-- scheduling again replaces the job. pg_cron keeps 63 bytes of a name: a longer one is made
-- of the source's md5.
CREATE FUNCTION usage_archive.cron_job_name(source text, job text DEFAULT 'archive') RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    prefix text;
    subject text := coalesce(cron_job_name.source, '(all sources)');
BEGIN
    IF cron_job_name.job = 'archive' AND cron_job_name.source IS NOT NULL THEN
        prefix := 'usage_archive archive ';
    ELSIF cron_job_name.job = 'quality_check' THEN
        prefix := 'usage_archive quality check ';
    ELSIF cron_job_name.job = 'archive' THEN
        RAISE EXCEPTION 'an archive job is named by its source, which must not be null' USING ERRCODE = '22004';
    ELSE
        RAISE EXCEPTION 'job must be ''archive'' or ''quality_check'', not %',
            coalesce(quote_literal(cron_job_name.job), 'NULL') USING ERRCODE = '22023';
    END IF;
    IF octet_length(prefix || subject) > 63 THEN
        subject := md5(subject);
    END IF;
    RETURN prefix || subject;
END
$fn$;
COMMENT ON FUNCTION usage_archive.cron_job_name(text, text) IS
    'The pg_cron job name schedule_archive (job ''archive'') or schedule_quality_check (''quality_check'') uses for a source.';

CREATE FUNCTION usage_archive.schedule_archive(source text, schedule text, previous_billing_cycles int DEFAULT 1)
RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    job_id bigint;
BEGIN
    IF schedule_archive.source IS NULL OR schedule_archive.schedule IS NULL
       OR schedule_archive.previous_billing_cycles IS NULL THEN
        RAISE EXCEPTION 'source, schedule and previous_billing_cycles must not be null' USING ERRCODE = '22004';
    END IF;
    IF NOT EXISTS (SELECT FROM usage_archive.sources s WHERE s.name = schedule_archive.source) THEN
        RAISE EXCEPTION 'source "%" does not exist', schedule_archive.source USING ERRCODE = '42704';
    END IF;
    IF schedule_archive.previous_billing_cycles NOT BETWEEN 0 AND 120 THEN
        RAISE EXCEPTION 'previous_billing_cycles must be between 0 and 120' USING ERRCODE = '22023';
    END IF;
    IF NOT has_function_privilege('usage_archive.archive_usage(text, integer, text[])', 'EXECUTE') THEN
        RAISE EXCEPTION 'role "%" may not run usage_archive.archive_usage, and the job would run as it', current_user
            USING ERRCODE = '42501', HINT = 'Grant it the archiver kind: usage_archive.grant_role(role, ''archiver'').';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') THEN
        RAISE EXCEPTION 'pg_cron is not installed in this database'
            USING ERRCODE = '55000',
                  HINT = 'Add pg_cron to shared_preload_libraries, set cron.database_name to this database, restart, '
                         'and run CREATE EXTENSION pg_cron.';
    END IF;
    -- pg_cron replaces a job of the same name and role.
    EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job_id
        USING usage_archive.cron_job_name(schedule_archive.source, 'archive'), schedule_archive.schedule,
              format('SELECT * FROM usage_archive.archive_usage(%L, %s)', schedule_archive.source,
                     schedule_archive.previous_billing_cycles);
    RETURN job_id;
END
$fn$;
COMMENT ON FUNCTION usage_archive.schedule_archive(text, text, int) IS
    'Schedules archive_usage(source) with pg_cron (one job per source and role: scheduling again replaces it).';

CREATE FUNCTION usage_archive.schedule_quality_check(schedule text, min_severity text DEFAULT 'error',
                                                     source text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    job_id bigint;
BEGIN
    IF schedule_quality_check.schedule IS NULL THEN
        RAISE EXCEPTION 'schedule must not be null' USING ERRCODE = '22004';
    END IF;
    IF schedule_quality_check.min_severity IS NULL
       OR schedule_quality_check.min_severity NOT IN ('info', 'warning', 'error') THEN
        RAISE EXCEPTION 'min_severity must be ''info'', ''warning'' or ''error'', not %',
            coalesce(quote_literal(schedule_quality_check.min_severity), 'NULL') USING ERRCODE = '22023';
    END IF;
    IF schedule_quality_check.source IS NOT NULL
       AND NOT EXISTS (SELECT FROM usage_archive.sources s WHERE s.name = schedule_quality_check.source) THEN
        RAISE EXCEPTION 'source "%" does not exist', schedule_quality_check.source USING ERRCODE = '42704';
    END IF;
    IF NOT has_function_privilege('usage_archive.assert_data_quality(text, text)', 'EXECUTE') THEN
        RAISE EXCEPTION 'role "%" may not run usage_archive.assert_data_quality, and the job would run as it',
            current_user
            USING ERRCODE = '42501', HINT = 'Grant it the reader kind: usage_archive.grant_role(role, ''reader'').';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') THEN
        RAISE EXCEPTION 'pg_cron is not installed in this database'
            USING ERRCODE = '55000',
                  HINT = 'Add pg_cron to shared_preload_libraries, set cron.database_name to this database, restart, '
                         'and run CREATE EXTENSION pg_cron.';
    END IF;
    EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job_id
        USING usage_archive.cron_job_name(schedule_quality_check.source, 'quality_check'),
              schedule_quality_check.schedule,
              format('SELECT usage_archive.assert_data_quality(%L, %L)', schedule_quality_check.min_severity,
                     schedule_quality_check.source);
    RETURN job_id;
END
$fn$;
COMMENT ON FUNCTION usage_archive.schedule_quality_check(text, text, text) IS
    'Schedules assert_data_quality() with pg_cron: the job fails (cron.job_run_details) when findings reach min_severity.';

CREATE FUNCTION usage_archive.unschedule(source text DEFAULT NULL, job text DEFAULT 'archive') RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    job_name text := usage_archive.cron_job_name(unschedule.source, unschedule.job);
    found boolean;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') THEN
        RAISE EXCEPTION 'pg_cron is not installed in this database' USING ERRCODE = '55000';
    END IF;
    EXECUTE 'SELECT EXISTS (SELECT FROM cron.job WHERE jobname = $1 AND username = current_user)'
        INTO found USING job_name;
    IF NOT found THEN
        RETURN false;
    END IF;
    EXECUTE 'SELECT cron.unschedule($1)' INTO found USING job_name;
    RETURN found;
END
$fn$;
COMMENT ON FUNCTION usage_archive.unschedule(text, text) IS
    'Removes the pg_cron job schedule_archive (job => ''archive'') or schedule_quality_check (''quality_check'') made.';

REVOKE ALL ON FUNCTION usage_archive.check_data_quality(text, date) FROM PUBLIC;
REVOKE ALL ON FUNCTION usage_archive.assert_data_quality(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION usage_archive.schedule_archive(text, text, int) FROM PUBLIC;
REVOKE ALL ON FUNCTION usage_archive.schedule_quality_check(text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION usage_archive.unschedule(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION usage_archive.cron_job_name(text, text) FROM PUBLIC;

INSERT INTO usage_archive_private.role_privileges (kind, privilege) VALUES
    ('reader', 'SELECT ON usage_archive.billing_cycles'),
    ('reader', 'SELECT ON usage_archive.monthly_usage'),
    ('reader', 'SELECT ON usage_archive.billing_cycle_usage'),
    ('reader', 'EXECUTE ON FUNCTION usage_archive.check_data_quality(text, date)'),
    ('reader', 'EXECUTE ON FUNCTION usage_archive.assert_data_quality(text, text)'),
    ('manager', 'EXECUTE ON FUNCTION usage_archive.schedule_archive(text, text, int)'),
    ('manager', 'EXECUTE ON FUNCTION usage_archive.schedule_quality_check(text, text, text)'),
    ('manager', 'EXECUTE ON FUNCTION usage_archive.unschedule(text, text)'),
    ('manager', 'EXECUTE ON FUNCTION usage_archive.cron_job_name(text, text)'),
    ('reader', 'EXECUTE ON FUNCTION usage_archive.cron_job_name(text, text)');

-- Roles granted a kind before this version do not get what the kind adds (a grant made by an
-- extension script would be an initial privilege, which pg_dump leaves out): name them.
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT a.rolname, k.kind
             FROM pg_roles a
             CROSS JOIN (VALUES ('reader', 'usage_archive.archive_runs'::regclass, NULL::regprocedure),
                                ('manager', NULL, 'usage_archive.add_source(text, text, text, text, text, text, jsonb)'::regprocedure)) k(kind, t, f)
             WHERE (k.t IS NOT NULL AND EXISTS (SELECT FROM pg_class c, aclexplode(c.relacl) x
                                               WHERE c.oid = k.t AND x.grantee = a.oid AND x.privilege_type = 'SELECT'))
                OR (k.f IS NOT NULL AND EXISTS (SELECT FROM pg_proc p, aclexplode(p.proacl) x
                                               WHERE p.oid = k.f AND x.grantee = a.oid AND x.privilege_type = 'EXECUTE'))
             ORDER BY 1, 2
    LOOP
        RAISE NOTICE 'role "%" looks like a % of usage_archive: run usage_archive.grant_role(%, %) for what 0.6.0 adds',
            r.rolname, r.kind, quote_literal(r.rolname), quote_literal(r.kind);
    END LOOP;
END
$$;
