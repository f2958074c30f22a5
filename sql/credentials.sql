-- Credentials reach only the hosts they were given for, and no message shows them.
\getenv mock_port USAGE_ARCHIVE_MOCK_PORT
\! python3 test/mock_api/control.py reset
\set api '\'http://127.0.0.1:' :mock_port '/api\''
\set token '\'http://127.0.0.1:' :mock_port '/api/auth/connect/token\''

-- Runs archive_usage; 'ok', or the SQLSTATE and message with the port masked.
CREATE FUNCTION cred_try(source text, lines text[] DEFAULT NULL) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM usage_archive.archive_usage(source, 1, lines);
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || regexp_replace(SQLERRM, ':[0-9]{2,5}/', ':PORT/', 'g');
END $$;
CREATE FUNCTION cred_secret(source text) RETURNS text LANGUAGE sql AS $$
  SELECT coalesce((SELECT CASE WHEN client_secret IS NOT NULL THEN 'secret ' || client_secret ELSE 'file' END
                   FROM usage_archive_private.source_secrets WHERE source_secrets.source = cred_secret.source), 'none') $$;

SELECT usage_archive.add_source('cred', 'starlink', base_url => :api, token_url => :token,
                                client_id => 'test-client', client_secret => 'test-secret');
SELECT cred_try('cred');

-- 1. A token endpoint that echoes the request form (secret included) in its error: only
--    the OAuth error fields are ever quoted, and it has none.
\! python3 test/mock_api/control.py set '{"token_echo": true, "expire_tokens_now": true}'
SELECT cred_try('cred');
\! python3 test/mock_api/control.py reset
-- An API that echoes the Authorization header: the token is scrubbed from the message.
\! python3 test/mock_api/control.py set '{"echo_authorization": true}'
SELECT cred_try('cred');
SELECT cred_try('cred') ~ '[0-9a-f]{40}' AS token_shown;
\! python3 test/mock_api/control.py reset

-- 2. Re-pointing a source's URLs to another host drops its stored secret, whoever does it:
--    the next run has no secret to send to the new host.
SELECT usage_archive.add_source('cred', 'starlink', base_url => :api,
  token_url => 'http://localhost:' || :'mock_port' || '/api/auth/connect/token', client_id => 'test-client');
SELECT cred_secret('cred');
\! python3 test/mock_api/control.py reset
SELECT cred_try('cred');
\! python3 test/mock_api/control.py stats requests.token
-- A new secret given in the same call is kept.
SELECT usage_archive.add_source('cred', 'starlink', base_url => :api, token_url => :token,
                                client_id => 'test-client', client_secret => 'test-secret');
SELECT cred_secret('cred'), cred_try('cred');
-- The same origin (scheme, host and port) keeps it: a path or a trailing slash is not another host.
SELECT usage_archive.add_source('cred', 'starlink', base_url => :api || '/', token_url => :token,
                                client_id => 'test-client');
SELECT cred_secret('cred'), cred_try('cred');
-- A NULL client_secret (the same URLs) keeps the stored one.
SELECT usage_archive.add_source('cred', 'starlink', base_url => :api, token_url => :token,
                                client_id => 'test-client', client_secret => NULL);
SELECT cred_secret('cred'), cred_try('cred');
-- Another port, or https instead of http, is another server.
UPDATE usage_archive.sources SET base_url = 'http://127.0.0.1:1/api' WHERE name = 'cred';
SELECT cred_secret('cred');
SELECT usage_archive.add_source('cred', 'starlink', base_url => :api, token_url => :token,
                                client_id => 'test-client', client_secret => 'test-secret');
UPDATE usage_archive.sources SET token_url = replace(token_url, 'http:', 'https:') WHERE name = 'cred';
SELECT cred_secret('cred');
-- A change that leaves the URLs alone keeps it.
SELECT usage_archive.add_source('cred', 'starlink', base_url => :api, token_url => :token,
                                client_id => 'test-client', client_secret => 'test-secret');
UPDATE usage_archive.sources SET enabled = true, options = '{"page_limit": 7}' WHERE name = 'cred';
SELECT cred_secret('cred'), cred_try('cred');

-- 3. URLs are checked with libcurl's parser, also when written directly.
SELECT usage_archive.add_source('cred_bad', 'simple', base_url => 'https://api.example.com/a b');
SELECT usage_archive.add_source('cred_bad', 'simple', base_url => E'https://api.example.com/x\r\nX-Evil: 1');
SELECT usage_archive.add_source('cred_bad', 'starlink', base_url => 'https://api.example.com/',
                                token_url => E'https://auth.example.com/\ttoken');
INSERT INTO usage_archive.sources (name, kind, base_url) VALUES ('cred_bad', 'simple', 'http://a b/');
UPDATE usage_archive.sources SET token_url = E'http://127.0.0.1/\n' WHERE name = 'cred';
SELECT count(*) AS bad_sources FROM usage_archive.sources WHERE name = 'cred_bad';

-- 4. service_lines must be one-dimensional (it used to be flattened silently).
SELECT cred_try('cred', ARRAY[['AST-100000-00000-00', 'AST-100001-07919-01'], ['a', 'b']]);
SELECT cred_try('cred', '{}'::text[]);

-- 5. A secret can live in a file the server reads (see test/t/004_credentials.pl); only a
--    superuser may point a source at one, and the file must be usable.
CREATE ROLE regress_cred_admin;
GRANT USAGE ON SCHEMA usage_archive TO regress_cred_admin;
GRANT EXECUTE ON FUNCTION usage_archive.set_client_secret_file(text, text) TO regress_cred_admin;
SET ROLE regress_cred_admin;
SELECT usage_archive.set_client_secret_file('cred', '/etc/hostname');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT usage_archive.set_client_secret_file('cred', '/nonexistent/usage_archive.secret');
\echo :LAST_ERROR_SQLSTATE
SELECT usage_archive.set_client_secret_file('cred', 'relative.secret');
\echo :LAST_ERROR_SQLSTATE
SELECT usage_archive.set_client_secret_file('no such source', '/etc/hostname');
\echo :LAST_ERROR_SQLSTATE
SELECT usage_archive.set_client_secret_file('cred', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT cred_secret('cred');
REVOKE ALL ON SCHEMA usage_archive FROM regress_cred_admin;
REVOKE ALL ON FUNCTION usage_archive.set_client_secret_file(text, text) FROM regress_cred_admin;
DROP ROLE regress_cred_admin;

DROP FUNCTION cred_try(text, text[]), cred_secret(text);
