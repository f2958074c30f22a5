-- Rescue a legacy table: the story's own tables and naive loader, its doubled report, the
-- cleanup (find_duplicates, dedupe) and the guard that makes the naive loader idempotent.
CREATE TABLE story_service_lines (
    service_line_id     serial PRIMARY KEY,
    api_service_line_id text UNIQUE NOT NULL,
    client_name         text NOT NULL
);
CREATE TABLE story_usage (
    history_id      bigserial PRIMARY KEY,
    service_line_id int NOT NULL REFERENCES story_service_lines,
    usage_date      date NOT NULL,
    consumed_gb     numeric(10,2) NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);
INSERT INTO story_service_lines (api_service_line_id, client_name)
VALUES ('AST-1', 'Acme'), ('AST-2', 'Globex');

-- The story's first loader: every row of every run inserted again.
CREATE FUNCTION naive_loader(api_data jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    line text;
    day jsonb;
BEGIN
    FOR line IN SELECT jsonb_object_keys(api_data) LOOP
        FOR day IN SELECT jsonb_array_elements(api_data -> line -> 'daily_usage') LOOP
            INSERT INTO story_usage (service_line_id, usage_date, consumed_gb)
            SELECT service_line_id, (day ->> 'date')::date, (day ->> 'usage_gb')::numeric
            FROM story_service_lines WHERE api_service_line_id = line;
        END LOOP;
    END LOOP;
END $$;
-- 28 days of October for two lines; `bump` raises every value (a later, corrected run).
CREATE FUNCTION october(bump numeric DEFAULT 0) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_object_agg(line, jsonb_build_object('daily_usage', (
        SELECT jsonb_agg(jsonb_build_object('date', d::date, 'usage_gb', round(limit_gb / 28 + bump, 2)) ORDER BY d)
        FROM generate_series(date '2025-10-01', date '2025-10-28', interval '1 day') d)))
    FROM (VALUES ('AST-1', 1000.0), ('AST-2', 500.0)) v(line, limit_gb) $$;
-- The story's report.
CREATE VIEW story_report AS
SELECT l.client_name, SUM(u.consumed_gb) AS total_usage, COUNT(*) AS record_count
FROM story_usage u JOIN story_service_lines l USING (service_line_id)
WHERE u.usage_date >= '2025-10-01' GROUP BY l.client_name ORDER BY l.client_name;

-- The discovery: the loader ran twice, the report doubles (2,000 GB on a 1,000 GB plan).
SELECT naive_loader(october());
SELECT naive_loader(october());
SELECT * FROM story_report;

-- Identify: one row per duplicated key.
SELECT count(*) AS duplicated_keys, min(copies), max(copies), bool_and(cardinality(ctids) = copies) AS ctids_listed,
       bool_and(jsonb_array_length(primary_keys) = copies) AS primary_keys_listed
FROM usage_archive.find_duplicates('story_usage', '{service_line_id,usage_date}');
SELECT key, copies FROM usage_archive.find_duplicates('story_usage', '{service_line_id,usage_date}')
ORDER BY key LIMIT 2;

-- Deduplicate: a dry run reports and changes nothing; then for real, keeping the newest.
SELECT * FROM usage_archive.dedupe('story_usage', '{service_line_id,usage_date}');
SELECT count(*) AS rows_after_dry_run FROM story_usage;
SELECT * FROM usage_archive.dedupe('story_usage', '{service_line_id,usage_date}', keep => 'newest', dry_run => false);
-- Verify: no duplicate left; every removed row kept whole; the report is right again.
SELECT count(*) AS duplicates_left FROM usage_archive.find_duplicates('story_usage', '{service_line_id,usage_date}');
SELECT table_name, count(*) AS removed, count(DISTINCT key) AS keys,
       bool_and(row_data ? 'history_id' AND row_data ? 'consumed_gb') AS whole_rows, bool_and(removed_by = current_user) AS by_me
FROM usage_archive.removed_duplicates GROUP BY table_name;
-- The newest copy of each key is the one kept.
SELECT bool_and(u.created_at > (r.row_data ->> 'created_at')::timestamptz) AS newest_kept
FROM usage_archive.removed_duplicates r
JOIN story_usage u ON u.service_line_id = (r.key ->> 'service_line_id')::int AND u.usage_date = (r.key ->> 'usage_date')::date;
SELECT * FROM story_report;
-- A removed row is shown to the roles that may read its table, and to no one else.
CREATE ROLE regress_reader;
SELECT usage_archive.grant_role('regress_reader', 'reader');
SET ROLE regress_reader;
SELECT count(*) AS removed_rows_seen FROM usage_archive.removed_duplicates;
RESET ROLE;
GRANT SELECT ON story_usage TO regress_reader;
SET ROLE regress_reader;
SELECT count(*) AS removed_rows_seen FROM usage_archive.removed_duplicates;
RESET ROLE;
DROP OWNED BY regress_reader;
DROP ROLE regress_reader;

-- Protect: the naive loader becomes idempotent. No index serves the keys yet: a warning.
SELECT usage_archive.protect('story_usage', '{service_line_id,usage_date}');
SELECT table_name, keys, compare, tolerance, inserted, converted_to_update, suppressed, key_index
FROM usage_archive.protected_tables;
-- The story's three runs: the same data twice, then corrected values.
SELECT naive_loader(october());
SELECT naive_loader(october());
SELECT naive_loader(october(bump => 0.5));
SELECT * FROM story_report;
SELECT count(*) AS rows, count(DISTINCT (service_line_id, usage_date)) AS keys,
       min(consumed_gb) FILTER (WHERE service_line_id = 1) AS acme_min FROM story_usage;
SELECT inserted, converted_to_update, suppressed FROM usage_archive.protected_tables;

-- New keys are inserted; a change within the tolerance is nothing; NULL keys pass as they
-- would through a unique constraint.
INSERT INTO story_usage (service_line_id, usage_date, consumed_gb) VALUES (1, '2025-10-29', 10);
INSERT INTO story_usage (service_line_id, usage_date, consumed_gb) VALUES (1, '2025-10-29', 10.005);
SELECT consumed_gb FROM story_usage WHERE service_line_id = 1 AND usage_date = '2025-10-29';
-- Multi-row INSERT ... SELECT, with the same key twice in one statement: the last wins.
INSERT INTO story_usage (service_line_id, usage_date, consumed_gb)
VALUES (2, '2025-10-29', 1), (2, '2025-10-29', 2), (2, '2025-10-30', 3), (1, '2025-10-29', 11);
SELECT service_line_id, usage_date, consumed_gb FROM story_usage WHERE usage_date > '2025-10-28' ORDER BY 1, 2;
-- COPY goes through the guard too.
COPY story_usage (service_line_id, usage_date, consumed_gb) FROM STDIN;
1	2025-10-29	12
1	2025-10-31	13
2	2025-10-30	3
\.
SELECT service_line_id, usage_date, consumed_gb FROM story_usage WHERE usage_date > '2025-10-28' ORDER BY 1, 2;
SELECT inserted, converted_to_update, suppressed FROM usage_archive.protected_tables;
-- A rolled-back insert counts nothing.
BEGIN;
INSERT INTO story_usage (service_line_id, usage_date, consumed_gb) VALUES (1, '2025-11-01', 1);
ROLLBACK;
SELECT inserted FROM usage_archive.protected_tables;

-- Only some columns compared; a text column compared exactly.
CREATE TABLE notes (line text, day date, gb numeric, note text, loaded_at timestamptz DEFAULT clock_timestamp());
CREATE UNIQUE INDEX ON notes (line, day);
SELECT usage_archive.protect('notes', '{line,day}', tolerance => 0, compare => '{gb,note}');
INSERT INTO notes (line, day, gb, note) VALUES ('L', '2025-10-01', 1, 'a');
SELECT loaded_at AS first_load FROM notes \gset
INSERT INTO notes (line, day, gb, note) VALUES ('L', '2025-10-01', 1, 'a');
INSERT INTO notes (line, day, gb, note) VALUES ('L', '2025-10-01', 1.001, 'a');
SELECT gb, note, loaded_at = :'first_load' AS loaded_at_kept FROM notes;
INSERT INTO notes (line, day, gb, note) VALUES ('L', '2025-10-01', 1.001, 'b');
SELECT gb, note FROM notes;
INSERT INTO notes (line, day, gb, note) VALUES ('L', NULL, 1, 'x'), ('L', NULL, 1, 'x');
SELECT count(*) AS null_day_rows FROM notes WHERE day IS NULL;
SELECT table_name, key_index, inserted, converted_to_update, suppressed FROM usage_archive.protected_tables ORDER BY 1;

-- The documented limit: with a unique index NULLS NOT DISTINCT, rows with a NULL key still
-- pass the guard as they come. The first is inserted; the index, not the guard, refuses a
-- second (23505). Keys without a NULL are the guard's as ever (the index serves them).
CREATE TABLE nnd (line text, day date, gb numeric, UNIQUE NULLS NOT DISTINCT (line, day));
SELECT usage_archive.protect('nnd', '{line,day}');
INSERT INTO nnd VALUES ('L', NULL, 1);
INSERT INTO nnd VALUES ('L', NULL, 1);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO nnd VALUES ('L', '2025-10-01', 1), ('L', '2025-10-01', 2);
SELECT line, day, gb FROM nnd ORDER BY day NULLS FIRST;
SELECT key_index, inserted, converted_to_update, suppressed FROM usage_archive.protected_tables
WHERE table_name = 'nnd'::regclass;
SELECT usage_archive.unprotect('nnd');
DROP TABLE nnd;

-- A partitioned table: the guard runs on every partition and looks keys up across them.
CREATE TABLE usage_by_month (line text, day date, gb numeric) PARTITION BY RANGE (day);
CREATE TABLE usage_by_month_10 PARTITION OF usage_by_month FOR VALUES FROM ('2025-10-01') TO ('2025-11-01');
CREATE TABLE usage_by_month_11 PARTITION OF usage_by_month FOR VALUES FROM ('2025-11-01') TO ('2025-12-01');
SELECT usage_archive.protect('usage_by_month', '{line,day}');
INSERT INTO usage_by_month VALUES ('L', '2025-10-31', 1), ('L', '2025-11-01', 2);
INSERT INTO usage_by_month VALUES ('L', '2025-10-31', 1), ('L', '2025-11-01', 5), ('M', '2025-11-02', 7);
SELECT tableoid::regclass AS partition, line, day, gb FROM usage_by_month ORDER BY day, line;

-- A role that may only insert, read and update the table: the guard and its counters work
-- with its rights (the registry is written with its owner's).
CREATE ROLE regress_loader;
CREATE TABLE loader_target (line text, day date, gb numeric, UNIQUE (line, day));
GRANT SELECT, INSERT, UPDATE ON loader_target TO regress_loader;
SELECT usage_archive.protect('loader_target', '{line,day}');
SET ROLE regress_loader;
INSERT INTO loader_target VALUES ('L', '2025-10-01', 1), ('L', '2025-10-01', 1), ('L', '2025-10-01', 2);
RESET ROLE;
SELECT line, day, gb FROM loader_target;
SELECT inserted, converted_to_update, suppressed FROM usage_archive.protected_tables WHERE table_name = 'loader_target'::regclass;
SELECT usage_archive.unprotect('loader_target');
DROP TABLE loader_target;
DROP ROLE regress_loader;

-- Inheritance: the guard protects the parent's own rows; a child's row at the same place is
-- another table's and stays as it is. dedupe and find_duplicates read the parent's own rows.
CREATE TABLE readings (line text, day date, gb numeric);
CREATE TABLE readings_2019 (note text) INHERITS (readings);
INSERT INTO readings_2019 VALUES ('L', '2019-01-01', 7, 'old'), ('L', '2019-01-01', 7, 'old');
DO $$ BEGIN SET LOCAL client_min_messages = error; PERFORM usage_archive.protect('readings', '{line,day}'); END $$;
INSERT INTO readings VALUES ('L', '2019-01-01', 1);
INSERT INTO readings VALUES ('L', '2019-01-01', 2);
SELECT tableoid::regclass, ctid, line, day, gb FROM readings ORDER BY 1, 2;
SELECT count(*) AS parent_duplicates FROM usage_archive.find_duplicates('readings', '{line,day}');
SELECT usage_archive.unprotect('readings');
DROP TABLE readings CASCADE;

-- Partitions: protect the partitioned table, not a partition. Conversions go through the
-- partitioned table: a role granted only there may insert a known key.
SELECT usage_archive.protect('usage_by_month_10', '{line,day}');
\echo :LAST_ERROR_SQLSTATE
CREATE ROLE regress_partition_loader;
GRANT SELECT, INSERT, UPDATE ON usage_by_month TO regress_partition_loader;
SET ROLE regress_partition_loader;
INSERT INTO usage_by_month VALUES ('L', '2025-10-31', 9);
RESET ROLE;
SELECT tableoid::regclass AS partition, line, day, gb FROM usage_by_month WHERE day = '2025-10-31';
REVOKE ALL ON usage_by_month FROM regress_partition_loader;
DROP ROLE regress_partition_loader;

-- A large load in one transaction. With a unique index on the key, the guard holds a key's
-- lock only until the row is in the index: one lock at a time, never one per row (20,000
-- would not fit the lock table). A second load converts every row to an update.
CREATE TABLE bulk (line int, day date, gb numeric, UNIQUE (line, day));
SELECT usage_archive.protect('bulk', '{line,day}');
BEGIN;
INSERT INTO bulk SELECT k % 100, date '2025-01-01' + k / 100, 1 FROM generate_series(0, 19999) k;
SELECT count(*) AS key_locks FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 7 AND pid = pg_backend_pid();
INSERT INTO bulk SELECT k % 100, date '2025-01-01' + k / 100, 2 FROM generate_series(0, 19999) k;
-- A savepoint rolled back with its rows, then more rows.
SAVEPOINT s;
INSERT INTO bulk VALUES (1000, '2025-01-01', 1), (1001, '2025-01-01', 1);
ROLLBACK TO SAVEPOINT s;
INSERT INTO bulk VALUES (1001, '2025-01-01', 3);
COMMIT;
SELECT count(*) AS key_locks_after_commit FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 7;
SELECT count(*) AS rows, sum(gb) AS total FROM bulk;
SELECT inserted, converted_to_update, suppressed FROM usage_archive.protected_tables WHERE table_name = 'bulk'::regclass;
SELECT usage_archive.unprotect('bulk');
DROP TABLE bulk;

-- Unprotected, the naive insert duplicates again.
SELECT usage_archive.unprotect('notes');
INSERT INTO notes (line, day, gb, note) VALUES ('M', '2025-10-01', 1, 'a'), ('M', '2025-10-02', 1, 'a');
SELECT usage_archive.unprotect('notes');
SELECT table_name FROM usage_archive.protected_tables ORDER BY 1;
SELECT count(*) AS sweep_targets FROM usage_archive_private.uniqueness_targets;

-- Bad arguments.
SELECT usage_archive.protect('story_usage', '{service_line_id,no_such_column}');
\echo :LAST_ERROR_SQLSTATE
SELECT usage_archive.protect('story_usage', '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT usage_archive.protect('story_usage', '{usage_date,usage_date}');
\echo :LAST_ERROR_SQLSTATE
SELECT usage_archive.protect('story_usage', '{service_line_id}', tolerance => -1);
\echo :LAST_ERROR_SQLSTATE
SELECT usage_archive.protect('story_usage', '{service_line_id}', compare => '{service_line_id}');
\echo :LAST_ERROR_SQLSTATE
SELECT usage_archive.protect('story_report', '{client_name}');
\echo :LAST_ERROR_SQLSTATE
SELECT usage_archive.protect(NULL, '{a}');
\echo :LAST_ERROR_SQLSTATE
-- A generated column is neither a key nor compared; compare's default leaves out what the
-- table fills itself (identity, computed default) but keeps a constant default's column.
CREATE TABLE shapes (k int, a int, g int GENERATED ALWAYS AS (a * 2) STORED, i int GENERATED ALWAYS AS IDENTITY,
                     z int DEFAULT 0, at timestamptz DEFAULT now(), p point);
SELECT usage_archive.protect('shapes', '{k,g}');
\echo :LAST_ERROR_SQLSTATE
SELECT usage_archive.protect('shapes', '{k}', compare => '{a,g}');
\echo :LAST_ERROR_SQLSTATE
-- A key type without an equality operator.
SELECT usage_archive.protect('shapes', '{k,p}');
\echo :LAST_ERROR_SQLSTATE
SELECT usage_archive.protect('shapes', '{k}');
SELECT compare FROM usage_archive.protected_tables WHERE table_name = 'shapes'::regclass;
SELECT usage_archive.unprotect('shapes');
SELECT * FROM usage_archive.dedupe('story_usage', '{usage_date}', keep => 'largest');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM usage_archive.dedupe('notes', '{line}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM usage_archive.dedupe('notes', '{line}', order_by => 'gb DESC; DROP TABLE notes');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM usage_archive.dedupe('notes', '{line}', order_by => 'nonesuch');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM usage_archive.dedupe('notes', '{line}', order_by => 'gb desc nulls first, day', dry_run => true);
SELECT * FROM usage_archive.dedupe('notes', '{line}', dry_run => true, add_constraint => true);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO story_usage (service_line_id, usage_date, consumed_gb) SELECT 1, '2025-10-01', 1 FROM generate_series(1, 1);
-- Calling the trigger function directly, or attaching it by hand wrongly.
SELECT usage_archive.enforce_unique();
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE misuse (a int);
CREATE TRIGGER misuse AFTER INSERT ON misuse FOR EACH ROW EXECUTE FUNCTION usage_archive.enforce_unique();
INSERT INTO misuse VALUES (1);
\echo :LAST_ERROR_SQLSTATE
-- Attached by hand as it should be, but to a table protect() did not register.
DROP TRIGGER misuse ON misuse;
CREATE TRIGGER misuse BEFORE INSERT ON misuse FOR EACH ROW EXECUTE FUNCTION usage_archive.enforce_unique();
INSERT INTO misuse VALUES (1);
\echo :LAST_ERROR_SQLSTATE

-- dedupe ordered by a column, then adding the unique constraint.
SELECT * FROM usage_archive.dedupe('notes', '{line,day}', order_by => 'gb DESC', dry_run => false, add_constraint => true);
SELECT * FROM usage_archive.dedupe('notes', '{line}', order_by => 'day DESC', dry_run => false, add_constraint => true);
SELECT line, day FROM notes ORDER BY 1, 2;
SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = 'notes'::regclass ORDER BY 1;
SELECT conname, contype FROM pg_constraint WHERE conrelid = 'notes'::regclass;
-- On a partitioned table (the keys hold its partition key).
SELECT * FROM usage_archive.dedupe('usage_by_month', '{line,day}', order_by => 'gb', dry_run => false, add_constraint => true);
SELECT conname, contype FROM pg_constraint WHERE conrelid = 'usage_by_month'::regclass;
SELECT key_index FROM usage_archive.protected_tables WHERE table_name = 'usage_by_month'::regclass;

SELECT usage_archive.unprotect('story_usage');
SELECT usage_archive.unprotect('usage_by_month');
DROP TABLE story_usage, story_service_lines, notes, usage_by_month, misuse, shapes CASCADE;
DROP FUNCTION naive_loader(jsonb), october(numeric);
DELETE FROM usage_archive.removed_duplicates;
