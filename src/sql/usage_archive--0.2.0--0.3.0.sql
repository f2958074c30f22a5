-- usage_archive 0.2.0 -> 0.3.0: the security review's fixes (issue 7).
\echo Use "ALTER EXTENSION usage_archive UPDATE TO '0.3.0'" to load this file. \quit

-- Every function runs with a fixed search_path: no operator, function or type the caller put
-- on their path (CREATE OPERATOR arch.= ...) is ever picked up by the extension's statements.
-- A trigger a user puts on one of the extension's tables runs with this search_path too when
-- a run fires it: such trigger functions should qualify names or SET their own search_path.
ALTER FUNCTION usage_archive.archive_payload(text, text) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION usage_archive.archive_payload(text, jsonb) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION usage_archive.archive_usage(text, int, text[]) SET search_path = pg_catalog, pg_temp;

-- URLs are judged by libcurl's own parser, the one that fetches them.
CREATE FUNCTION usage_archive_private.url_problem(url text) RETURNS text
AS 'MODULE_PATHNAME', 'usage_archive_url_problem'
LANGUAGE C IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION usage_archive_private.url_problem(text) IS
    'Why the URL cannot be fetched (not http/https, spaces, control characters, unparsable), or NULL.';
CREATE FUNCTION usage_archive_private.url_origin(url text) RETURNS text
AS 'MODULE_PATHNAME', 'usage_archive_url_origin'
LANGUAGE C IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION usage_archive_private.url_origin(text) IS
    'scheme://host:port of a usable URL (where its requests go), or NULL.';

-- A client secret can live in a file on the server instead of in the table (and so never in
-- SQL text, statement logs or dumps); a source has one or the other.
ALTER TABLE usage_archive_private.source_secrets
    ALTER COLUMN client_secret DROP NOT NULL,
    ADD COLUMN client_secret_file text,
    ADD CONSTRAINT source_secrets_one_secret CHECK ((client_secret IS NULL) <> (client_secret_file IS NULL));
COMMENT ON COLUMN usage_archive_private.source_secrets.client_secret_file IS
    'Absolute path of a file on the database server holding the secret; read at every run.';

CREATE FUNCTION usage_archive_private.check_secret_file(path text) RETURNS void
AS 'MODULE_PATHNAME', 'usage_archive_check_secret_file'
LANGUAGE C VOLATILE STRICT SET search_path = pg_catalog, pg_temp;

-- Stored credentials belong to the URLs they were given for. Whatever changes a source's
-- base_url or token_url to another origin (scheme, host, port) -- add_source, or a direct
-- UPDATE by a role allowed to -- drops its stored secret, so the next run cannot deliver it
-- (or a token obtained with it) to the new host. add_source stores a secret given in the
-- same call after this has run. The URLs of new and changed rows are also checked here.
CREATE FUNCTION usage_archive_private.guard_source_credentials() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    problem text;
BEGIN
    problem := usage_archive_private.url_problem(NEW.base_url);
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'invalid base_url for source "%": %', NEW.name, problem USING ERRCODE = '22023';
    END IF;
    problem := usage_archive_private.url_problem(NEW.token_url);
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'invalid token_url for source "%": %', NEW.name, problem USING ERRCODE = '22023';
    END IF;
    IF TG_OP = 'UPDATE'
       AND (usage_archive_private.url_origin(NEW.base_url) IS DISTINCT FROM usage_archive_private.url_origin(OLD.base_url)
            OR usage_archive_private.url_origin(NEW.token_url) IS DISTINCT FROM usage_archive_private.url_origin(OLD.token_url))
    THEN
        DELETE FROM usage_archive_private.source_secrets WHERE source = OLD.name;
        IF FOUND THEN
            RAISE NOTICE 'source "%" now points to another host: its stored client secret was dropped', NEW.name
                USING HINT = 'Give the secret for the new host with usage_archive.add_source(..., client_secret => ...) '
                             'or usage_archive.set_client_secret_file().';
        END IF;
    END IF;
    RETURN NEW;
END
$fn$;
REVOKE ALL ON FUNCTION usage_archive_private.guard_source_credentials() FROM PUBLIC;
CREATE TRIGGER sources_guard_credentials BEFORE INSERT OR UPDATE ON usage_archive.sources
    FOR EACH ROW EXECUTE FUNCTION usage_archive_private.guard_source_credentials();

-- add_source: a client secret given replaces a secret file, and vice versa; URLs are checked
-- by the trigger above with libcurl's parser.
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
            SET client_secret = EXCLUDED.client_secret, client_secret_file = NULL, updated_at = now();
    END IF;
END
$fn$;

-- The recommended way to give a source its secret: a file on the database server, read at
-- every run. Superusers only (the server reads the file with its own rights). Not SECURITY
-- DEFINER: it writes the secret table with the caller's rights, which only its owner has.
CREATE FUNCTION usage_archive.set_client_secret_file(source text, path text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RAISE EXCEPTION 'only a superuser may set a client secret file'
            USING ERRCODE = '42501', DETAIL = 'The database server reads the file with its own rights.';
    END IF;
    IF set_client_secret_file.source IS NULL OR set_client_secret_file.path IS NULL THEN
        RAISE EXCEPTION 'source and path must not be null' USING ERRCODE = '22004';
    END IF;
    IF NOT EXISTS (SELECT FROM usage_archive.sources s WHERE s.name = set_client_secret_file.source) THEN
        RAISE EXCEPTION 'source "%" does not exist', set_client_secret_file.source
            USING ERRCODE = '42704', HINT = 'Register it first with usage_archive.add_source().';
    END IF;
    PERFORM usage_archive_private.check_secret_file(set_client_secret_file.path);
    INSERT INTO usage_archive_private.source_secrets AS s (source, client_secret_file)
    VALUES (set_client_secret_file.source, set_client_secret_file.path)
    ON CONFLICT ON CONSTRAINT source_secrets_pkey DO UPDATE
        SET client_secret = NULL, client_secret_file = EXCLUDED.client_secret_file, updated_at = now();
END
$fn$;
COMMENT ON FUNCTION usage_archive.set_client_secret_file(text, text) IS
    'Gives a source a client secret kept in a file on the database server (never in SQL text); superusers only.';
REVOKE ALL ON FUNCTION usage_archive.set_client_secret_file(text, text) FROM PUBLIC;

-- What each kind of role needs, kept as data so that later versions add rows, and
-- usage_archive.grant_role() grants exactly these (documented in docs/sql-reference.md).
-- Archiving needs no write privilege on the run log or the corrections: the extension
-- writes them with their owner's rights.
CREATE TABLE usage_archive_private.role_privileges (
    kind      text NOT NULL CHECK (kind IN ('archiver', 'manager', 'reader')),
    privilege text NOT NULL,  -- GRANT <privilege> TO <role>
    PRIMARY KEY (kind, privilege)
);
INSERT INTO usage_archive_private.role_privileges (kind, privilege) VALUES
    ('archiver', 'USAGE ON SCHEMA usage_archive'),
    ('archiver', 'EXECUTE ON FUNCTION usage_archive.archive_payload(text, text)'),
    ('archiver', 'EXECUTE ON FUNCTION usage_archive.archive_payload(text, jsonb)'),
    ('archiver', 'EXECUTE ON FUNCTION usage_archive.archive_usage(text, int, text[])'),
    ('archiver', 'SELECT ON usage_archive.sources'),
    ('archiver', 'SELECT, INSERT, UPDATE ON usage_archive.service_lines'),
    ('archiver', 'SELECT, INSERT, UPDATE ON usage_archive.daily_usage_history'),
    ('archiver', 'USAGE ON SEQUENCE usage_archive.service_lines_service_line_id_seq'),
    ('manager', 'USAGE ON SCHEMA usage_archive'),
    ('manager', 'EXECUTE ON FUNCTION usage_archive.add_source(text, text, text, text, text, text, jsonb)'),
    ('manager', 'SELECT ON usage_archive.sources'),
    ('manager', 'UPDATE (enabled) ON usage_archive.sources'),
    ('reader', 'USAGE ON SCHEMA usage_archive'),
    ('reader', 'SELECT ON usage_archive.sources'),
    ('reader', 'SELECT ON usage_archive.service_lines'),
    ('reader', 'SELECT ON usage_archive.daily_usage_history'),
    ('reader', 'SELECT ON usage_archive.usage_corrections'),
    ('reader', 'SELECT ON usage_archive.archive_runs');

CREATE FUNCTION usage_archive.grant_role(role regrole, kind text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    p text;
BEGIN
    IF grant_role.role IS NULL OR grant_role.kind IS NULL THEN
        RAISE EXCEPTION 'role and kind must not be null' USING ERRCODE = '22004';
    END IF;
    IF NOT EXISTS (SELECT FROM usage_archive_private.role_privileges r WHERE r.kind = grant_role.kind) THEN
        RAISE EXCEPTION 'unknown kind of role %', quote_literal(grant_role.kind)
            USING ERRCODE = '22023', HINT = 'The kinds are ''archiver'', ''manager'' and ''reader''.';
    END IF;
    FOR p IN SELECT r.privilege FROM usage_archive_private.role_privileges r
             WHERE r.kind = grant_role.kind ORDER BY r.privilege LOOP
        -- regrole's text form is the role name quoted as an identifier.
        EXECUTE format('GRANT %s TO %s', p, grant_role.role);
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION usage_archive.grant_role(regrole, text) IS
    'Grants a role exactly what one kind of use needs: archiver, manager or reader.';
REVOKE ALL ON FUNCTION usage_archive.grant_role(regrole, text) FROM PUBLIC;

-- The run log and the corrections are the audit trail: until 0.3.0 the documented grants
-- let archiving roles write them directly. Those write privileges are withdrawn (a WARNING
-- names each: extension scripts run with client_min_messages at least WARNING).
DO $do$
DECLARE
    g record;
BEGIN
    FOR g IN
        SELECT format('%I.%I', c.relnamespace::regnamespace, c.relname) AS rel, a.privilege_type AS privilege,
               CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END AS grantee
        FROM pg_class c, aclexplode(c.relacl) a
        WHERE c.oid IN ('usage_archive.archive_runs'::regclass, 'usage_archive.usage_corrections'::regclass)
          AND a.privilege_type IN ('INSERT', 'UPDATE') AND a.grantee <> c.relowner
    LOOP
        EXECUTE format('REVOKE %s ON %s FROM %s', g.privilege, g.rel, g.grantee);
        RAISE WARNING 'revoked % on % from %: the run log and corrections are written by usage_archive alone',
            g.privilege, g.rel, g.grantee;
    END LOOP;
END
$do$;
