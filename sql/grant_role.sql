-- usage_archive.grant_role(role, kind) grants exactly what each kind of use needs, and the
-- audit trail (archive_runs, usage_corrections) is written by the extension alone: no kind
-- of role can write it directly, archivers included.
CREATE ROLE regress_gr_archiver;
CREATE ROLE regress_gr_manager;
CREATE ROLE regress_gr_reader;
SELECT usage_archive.grant_role('regress_gr_archiver', 'archiver');
SELECT usage_archive.grant_role('regress_gr_manager', 'manager');
SELECT usage_archive.grant_role('regress_gr_reader', 'reader');
SELECT usage_archive.add_source('gr', 'simple');
SELECT usage_archive.add_source('gr_api', 'starlink', base_url => 'http://127.0.0.1:1/api',
                                token_url => 'http://127.0.0.1:1/token', client_id => 'c', client_secret => 'gr-secret');

-- Tries a statement as a role: 'ok' or the SQLSTATE.
CREATE FUNCTION gr_can(role text, statement text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('SET LOCAL ROLE %I', role);
  EXECUTE statement;
  RESET ROLE;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE;
END $$;

-- What each kind may and may not do.
CREATE TABLE gr_checks (n int, statement text);
INSERT INTO gr_checks VALUES
  (1, $$SELECT usage_archive.archive_payload('gr', '{"GR-1": {"daily_usage": [{"date": "2025-10-01", "usage_gb": 1}]}}')$$),
  (2, $$SELECT usage_archive.archive_payload('gr', '{"GR-1": {"daily_usage": [{"date": "2025-10-01", "usage_gb": 2}]}}'::jsonb)$$),
  (3, $$SELECT usage_archive.archive_usage('gr_api')$$),
  (4, $$INSERT INTO usage_archive.archive_runs (source, entry_point, status, inserted) VALUES ('gr', 'forged', 'succeeded', 99)$$),
  (5, $$UPDATE usage_archive.archive_runs SET inserted = 0$$),
  (6, $$INSERT INTO usage_archive.usage_corrections (run_id, service_line_id, usage_date) VALUES (1, 1, '2025-10-01')$$),
  (7, $$UPDATE usage_archive.usage_corrections SET new_consumed_gb = 0$$),
  (8, $$SELECT count(*) FROM usage_archive.archive_runs$$),
  (9, $$SELECT count(*) FROM usage_archive.daily_usage_history$$),
  (10, $$INSERT INTO usage_archive.daily_usage_history (service_line_id, usage_date, consumed_gb) SELECT service_line_id, '2025-09-01', 1 FROM usage_archive.service_lines LIMIT 1$$),
  (11, $$SELECT usage_archive.add_source('gr_new', 'simple')$$),
  (12, $$UPDATE usage_archive.sources SET enabled = true WHERE name = 'gr'$$),
  (13, $$UPDATE usage_archive.sources SET base_url = 'http://elsewhere.example/' WHERE name = 'gr'$$),
  (14, $$SELECT * FROM usage_archive_private.source_secrets$$),
  (15, $$SELECT usage_archive.grant_role('regress_gr_reader', 'archiver')$$),
  (16, $$SELECT usage_archive.set_client_secret_file('gr', '/etc/hostname')$$),
  (17, $$DELETE FROM usage_archive.daily_usage_history$$);
SELECT n, left(statement, 60) AS statement,
       gr_can('regress_gr_archiver', statement) AS archiver,
       gr_can('regress_gr_manager', statement) AS manager,
       gr_can('regress_gr_reader', statement) AS reader
FROM gr_checks ORDER BY n;

-- The archiver's runs are logged and audited all the same, under its name.
SELECT entry_point, inserted, updated, invoked_by FROM usage_archive.archive_runs WHERE source = 'gr' ORDER BY run_id;
SELECT count(*) AS corrections FROM usage_archive.usage_corrections c
JOIN usage_archive.service_lines l USING (service_line_id) WHERE l.source = 'gr';

-- Bad arguments.
SELECT usage_archive.grant_role('regress_gr_reader', 'admin');
SELECT usage_archive.grant_role('regress_gr_reader', NULL);
SELECT usage_archive.grant_role('no_such_role', 'reader');
-- Granting twice is harmless.
SELECT usage_archive.grant_role('regress_gr_reader', 'reader');

-- The documented list (docs/sql-reference.md) is this one.
SELECT kind, privilege FROM usage_archive_private.role_privileges ORDER BY kind, privilege;

DROP FUNCTION gr_can(text, text);
DROP TABLE gr_checks;
DROP OWNED BY regress_gr_archiver, regress_gr_manager, regress_gr_reader;
DROP ROLE regress_gr_archiver, regress_gr_manager, regress_gr_reader;
