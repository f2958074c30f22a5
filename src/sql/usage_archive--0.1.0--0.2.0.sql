-- usage_archive 0.1.0 -> 0.2.0: archive_usage, fetching over HTTP.
\echo Use "ALTER EXTENSION usage_archive UPDATE TO '0.2.0'" to load this file. \quit

-- Source options for fetching: page_limit (service lines per page, 1..250) and
-- rate_limit_per_minute (requests per minute the source's account allows).
CREATE FUNCTION usage_archive_private.valid_source_options(options jsonb) RETURNS boolean
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
$fn$;
ALTER TABLE usage_archive.sources DROP CONSTRAINT sources_options_check;
ALTER TABLE usage_archive.sources
    ADD CONSTRAINT sources_options_check CHECK (usage_archive_private.valid_source_options(options));

CREATE OR REPLACE FUNCTION usage_archive.add_source(
    name          text,
    kind          text,
    base_url      text DEFAULT NULL,
    token_url     text DEFAULT NULL,
    client_id     text DEFAULT NULL,
    client_secret text DEFAULT NULL,
    options       jsonb DEFAULT '{}'
) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF add_source.name IS NULL OR add_source.name = '' THEN
        RAISE EXCEPTION 'source name must not be null or empty' USING ERRCODE = '22023';
    END IF;
    IF add_source.kind IS NULL OR add_source.kind NOT IN ('starlink', 'simple') THEN
        RAISE EXCEPTION 'unknown source kind %', coalesce(quote_literal(add_source.kind), 'NULL')
            USING ERRCODE = '22023', HINT = 'The kinds are ''starlink'' and ''simple''.';
    END IF;
    IF add_source.base_url !~* '^https?://' OR add_source.token_url !~* '^https?://' THEN
        RAISE EXCEPTION 'source URLs must be http:// or https:// URLs' USING ERRCODE = '22023';
    END IF;
    IF add_source.options IS NULL OR jsonb_typeof(add_source.options) <> 'object' THEN
        RAISE EXCEPTION 'options must be a JSON object' USING ERRCODE = '22023';
    END IF;
    IF NOT usage_archive_private.valid_source_options(add_source.options) THEN
        RAISE EXCEPTION 'invalid source options %', add_source.options
            USING ERRCODE = '22023',
                  HINT = 'register_new_service_lines is true or false; page_limit a whole number 1..250; '
                         'rate_limit_per_minute a whole number 1..100000.';
    END IF;

    INSERT INTO usage_archive.sources AS s (name, kind, base_url, token_url, client_id, options)
    VALUES (add_source.name, add_source.kind, add_source.base_url, add_source.token_url,
            add_source.client_id, add_source.options)
    ON CONFLICT ON CONSTRAINT sources_pkey DO UPDATE
        SET kind = EXCLUDED.kind, base_url = EXCLUDED.base_url, token_url = EXCLUDED.token_url,
            client_id = EXCLUDED.client_id, options = EXCLUDED.options;

    IF add_source.client_secret IS NOT NULL THEN
        INSERT INTO usage_archive_private.source_secrets AS s (source, client_secret)
        VALUES (add_source.name, add_source.client_secret)
        ON CONFLICT ON CONSTRAINT source_secrets_pkey DO UPDATE
            SET client_secret = EXCLUDED.client_secret, updated_at = now();
    END IF;
END
$fn$;

CREATE FUNCTION usage_archive.archive_usage(
    source                  text,
    previous_billing_cycles int DEFAULT 1,
    service_lines           text[] DEFAULT NULL
) RETURNS usage_archive.archive_stats
AS 'MODULE_PATHNAME', 'usage_archive_archive_usage'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION usage_archive.archive_usage(text, int, text[]) IS
    'Fetches the source''s daily usage from its API (all pages) and archives it idempotently.';

REVOKE ALL ON FUNCTION usage_archive.archive_usage(text, int, text[]) FROM PUBLIC;
