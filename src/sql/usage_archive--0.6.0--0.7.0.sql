-- usage_archive 0.6.0 -> 0.7.0: talk to the vendor API as its real clients do (issue 11): the
-- request body, inactive lines, backfill by date, the plan's product and overage opt-in.
\echo Use "ALTER EXTENSION usage_archive UPDATE TO '0.7.0'" to load this file. \quit

-- What the API sends about a line's plan, kept current like usage_limit_gb.
ALTER TABLE usage_archive.service_lines ADD COLUMN product_id text;
ALTER TABLE usage_archive.service_lines ADD COLUMN opted_into_overage boolean;

-- The query a run asked the API (starlink: the request body), so a backfill is told from a
-- billing-cycle fetch.
ALTER TABLE usage_archive.archive_runs ADD COLUMN api_request jsonb;

-- Source option active_service_lines_only (a boolean, default false).
CREATE OR REPLACE FUNCTION usage_archive_private.valid_source_options(options jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $fn$
    SELECT jsonb_typeof(options) = 'object'
       AND (NOT options ? 'register_new_service_lines'
            OR jsonb_typeof(options -> 'register_new_service_lines') = 'boolean')
       AND (NOT options ? 'active_service_lines_only'
            OR jsonb_typeof(options -> 'active_service_lines_only') = 'boolean')
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

-- Backfill: every billing cycle from a day on (queryStartDate), for a fleet or some lines.
CREATE FUNCTION usage_archive.archive_usage(source text, since date, service_lines text[] DEFAULT NULL)
RETURNS usage_archive.archive_stats
AS 'MODULE_PATHNAME', 'usage_archive_archive_usage_since'
LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION usage_archive.archive_usage(text, date, text[]) IS
    'Fetches every billing cycle from `since` on (queryStartDate) and archives it, like archive_usage(source, cycles).';
REVOKE ALL ON FUNCTION usage_archive.archive_usage(text, date, text[]) FROM PUBLIC;

INSERT INTO usage_archive_private.role_privileges (kind, privilege) VALUES
    ('archiver', 'EXECUTE ON FUNCTION usage_archive.archive_usage(text, date, text[])');

-- Roles granted the archiver kind before this version do not get the backfill: name them.
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT a.rolname FROM pg_roles a
             WHERE EXISTS (SELECT FROM pg_proc p, aclexplode(p.proacl) x
                           WHERE p.oid = 'usage_archive.archive_usage(text, integer, text[])'::regprocedure
                             AND x.grantee = a.oid AND x.privilege_type = 'EXECUTE')
             ORDER BY 1
    LOOP
        RAISE NOTICE 'role "%" looks like an archiver of usage_archive: run usage_archive.grant_role(%, ''archiver'') for what 0.7.0 adds',
            r.rolname, quote_literal(r.rolname);
    END LOOP;
END
$$;
