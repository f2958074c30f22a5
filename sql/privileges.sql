-- What a DBA demands: nothing is callable by PUBLIC, the secret is unreadable to ordinary
-- roles, and the documented grants are enough to archive.
CREATE ROLE regress_ua_nobody;
CREATE ROLE regress_ua_writer;
CREATE ROLE regress_ua_admin;
SELECT usage_archive.add_source('priv', 'starlink', base_url => 'https://starlink.com/api',
                                client_id => 'cid', client_secret => 's3cret-value');

SET ROLE regress_ua_nobody;
SELECT * FROM usage_archive_private.source_secrets;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM usage_archive.archive_payload('priv', '{}');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- Even with the schema visible, the functions are not executable without a grant.
GRANT USAGE ON SCHEMA usage_archive TO regress_ua_nobody;
SET ROLE regress_ua_nobody;
SELECT * FROM usage_archive.archive_payload('priv', '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM usage_archive.archive_payload('priv', '{}'::jsonb);
\echo :LAST_ERROR_SQLSTATE
SELECT usage_archive.add_source('priv2', 'simple');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM usage_archive.daily_usage_history;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
REVOKE USAGE ON SCHEMA usage_archive FROM regress_ua_nobody;

-- The writer grants of docs/sql-reference.md.
GRANT USAGE ON SCHEMA usage_archive TO regress_ua_writer;
GRANT EXECUTE ON FUNCTION usage_archive.archive_payload(text, text), usage_archive.archive_payload(text, jsonb) TO regress_ua_writer;
GRANT SELECT ON usage_archive.sources TO regress_ua_writer;
GRANT SELECT, INSERT, UPDATE ON usage_archive.service_lines, usage_archive.daily_usage_history TO regress_ua_writer;
GRANT USAGE ON SEQUENCE usage_archive.service_lines_service_line_id_seq TO regress_ua_writer;
-- To read the run log (not needed to archive: the extension writes it).
GRANT SELECT ON usage_archive.archive_runs TO regress_ua_writer;
SET ROLE regress_ua_writer;
SELECT inserted, updated, unchanged FROM usage_archive.archive_payload('priv', starlink_payload(1, 3, prefix => 'PRIV-'));
SELECT write_method, invoked_by FROM usage_archive.archive_runs ORDER BY run_id DESC LIMIT 1;
SELECT * FROM usage_archive_private.source_secrets;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- Without INSERT on the history table the run fails with the ordinary permission error
-- (the COPY path is not a way around privileges) and writes nothing.
REVOKE INSERT ON usage_archive.daily_usage_history FROM regress_ua_writer;
SET ROLE regress_ua_writer;
SELECT * FROM usage_archive.archive_payload('priv', starlink_payload(1, 4, prefix => 'PRIV-'));
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT count(*) FROM usage_archive.daily_usage_history h JOIN usage_archive.service_lines l USING (service_line_id)
WHERE l.source = 'priv';

-- add_source may be granted on its own: it stores the secret without the caller reading it.
GRANT USAGE ON SCHEMA usage_archive TO regress_ua_admin;
GRANT EXECUTE ON FUNCTION usage_archive.add_source(text, text, text, text, text, text, jsonb) TO regress_ua_admin;
SET ROLE regress_ua_admin;
SELECT usage_archive.add_source('priv', 'starlink', base_url => 'https://starlink.com/api', client_secret => 'rotated');
SELECT * FROM usage_archive_private.source_secrets;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT source, client_secret = 'rotated' AS rotated FROM usage_archive_private.source_secrets;

-- The secret appears in no other table.
SELECT count(*) AS leaks FROM usage_archive.sources s WHERE s::text LIKE '%rotated%' OR s::text LIKE '%s3cret%';

-- The settings that decide where a run connects, what it trusts and how much it reads are
-- the superuser's: a role with every grant above still cannot change them (42501).
LOAD 'usage_archive';
SET ROLE regress_ua_admin;
SET usage_archive.allowed_hosts = 'evil.example';
\echo :LAST_ERROR_SQLSTATE
SET usage_archive.ca_file = '/tmp/attacker-ca.pem';
\echo :LAST_ERROR_SQLSTATE
SET usage_archive.max_response_bytes = '1GB';
\echo :LAST_ERROR_SQLSTATE
-- The ones a caller may tune are the caller's.
SET usage_archive.max_daily_gb = 5;
SET usage_archive.max_retries = 1;
RESET ROLE;
SELECT current_setting('usage_archive.allowed_hosts') AS allowed_hosts, current_setting('usage_archive.ca_file') AS ca_file,
       current_setting('usage_archive.max_response_bytes') AS max_response_bytes,
       current_setting('usage_archive.max_daily_gb') AS max_daily_gb;
RESET usage_archive.max_daily_gb;
RESET usage_archive.max_retries;

REVOKE ALL ON ALL TABLES IN SCHEMA usage_archive FROM regress_ua_writer, regress_ua_admin;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA usage_archive FROM regress_ua_writer;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA usage_archive FROM regress_ua_writer, regress_ua_admin;
REVOKE ALL ON SCHEMA usage_archive FROM regress_ua_writer, regress_ua_admin;
DROP ROLE regress_ua_nobody, regress_ua_writer, regress_ua_admin;
