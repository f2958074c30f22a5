-- The history partitioned by usage_date (0.8.0): every row and key kept, runs create the
-- partitions they need, COPY still writes, old periods are dropped whole. And what makes the
-- schema ready for Citus, tested without Citus. Runs last: the history stays partitioned.
SELECT usage_archive.add_source('parts', 'simple');
CREATE FUNCTION parts_last_run(OUT status text, OUT write_method text, OUT inserted bigint, OUT updated bigint,
                         OUT unchanged bigint, OUT sqlstate text)
LANGUAGE sql AS $$ SELECT status, write_method, inserted, updated, unchanged, sqlstate
                   FROM usage_archive.archive_runs ORDER BY run_id DESC LIMIT 1 $$;
CREATE FUNCTION history_of(src text, OUT rows bigint, OUT total numeric, OUT in_default bigint)
LANGUAGE sql AS $$
  SELECT count(*), sum(h.consumed_gb),
         count(*) FILTER (WHERE h.tableoid = 'usage_archive.daily_usage_history_default'::regclass)
  FROM usage_archive.daily_usage_history h JOIN usage_archive.service_lines l USING (service_line_id)
  WHERE l.source = src $$;
CREATE FUNCTION test_partitions(OUT partition regclass, OUT range_start date, OUT range_end date)
RETURNS SETOF record LANGUAGE sql AS $$
  SELECT * FROM usage_archive_private.history_partitions() WHERE range_start >= '2028-01-01' AND range_start < '2030-01-01' ORDER BY 2 $$;

-- Before partition_history: one partitioned table, all rows in its default partition.
SELECT relkind FROM pg_class WHERE oid = 'usage_archive.daily_usage_history'::regclass;
SELECT inserted FROM usage_archive.archive_payload('parts', simple_payload(3, 40, '2029-09-15'));
SELECT * FROM history_of('parts');
SELECT count(*) AS all_rows FROM usage_archive.daily_usage_history \gset before_

-- Wrong arguments change nothing.
SELECT usage_archive.partition_history('1 month 3 days');
SELECT usage_archive.partition_history('36 hours');
SELECT usage_archive.partition_history('1 month', 121);
SELECT usage_archive.partition_history(NULL);
SELECT usage_archive.drop_history_before('2025-10-01');

-- Monthly: the rows move to the partition of their month, none is lost.
SELECT usage_archive.partition_history('1 month', 2) > 2 AS created_partitions;
SELECT * FROM test_partitions();
SELECT * FROM history_of('parts');
SELECT count(*) = :before_all_rows AS every_row_kept FROM usage_archive.daily_usage_history;
-- Keys, constraints and the foreign key hold on every partition.
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
WHERE conrelid = 'usage_archive.daily_usage_history'::regclass ORDER BY conname;
\set VERBOSITY terse
INSERT INTO usage_archive.daily_usage_history (service_line_id, usage_date, consumed_gb)
SELECT service_line_id, '2029-10-05', 1 FROM usage_archive.service_lines WHERE source = 'parts' LIMIT 1;
INSERT INTO usage_archive.daily_usage_history (service_line_id, usage_date, consumed_gb) VALUES (-1, '2029-10-05', 1);
INSERT INTO usage_archive.daily_usage_history (service_line_id, usage_date, consumed_gb)
SELECT service_line_id, '2029-10-05', -1 FROM usage_archive.service_lines WHERE source = 'parts' LIMIT 1;
\set VERBOSITY default
-- Another period, or the same with another premake.
SELECT usage_archive.partition_history('1 week');
SELECT usage_archive.partition_history('1 month', 3) >= 0 AS premake_changed;
SELECT period, premake FROM usage_archive_private.history_partitioning;

-- An identical re-run writes nothing; a correction is audited, wherever its row lives.
SELECT inserted, updated, unchanged FROM usage_archive.archive_payload('parts', simple_payload(3, 40, '2029-09-15'));
SELECT inserted, updated, unchanged FROM usage_archive.archive_payload('parts',
  '{"SL-1": {"daily_usage": [{"date": "2029-09-20", "usage_gb": 99}, {"date": "2029-10-20", "usage_gb": 98}]}}');
SELECT l.service_line_number, c.usage_date, c.new_consumed_gb FROM usage_archive.usage_corrections c
JOIN usage_archive.service_lines l USING (service_line_id) WHERE l.source = 'parts' ORDER BY 2;

-- A run creates the partitions its days need, even for a role that may not create tables,
-- and new rows still go through COPY (routed to their partitions).
CREATE ROLE regress_ua_parts;
SELECT usage_archive.grant_role('regress_ua_parts', 'archiver');
SET ROLE regress_ua_parts;
SELECT inserted FROM usage_archive.archive_payload('parts', simple_payload(2, 3, '2029-01-30'));
RESET ROLE;
SELECT * FROM parts_last_run();
SELECT * FROM test_partitions() WHERE range_start < '2029-09-01';
SELECT * FROM history_of('parts');
-- A trigger on a partition is seen: the run keeps the per-row path that fires it.
CREATE TABLE part_trigger_log (usage_date date);
CREATE FUNCTION log_partition_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO public.part_trigger_log VALUES (NEW.usage_date); RETURN NEW; END $$;
CREATE TRIGGER log_insert AFTER INSERT ON usage_archive.daily_usage_history_p20290101
  FOR EACH ROW EXECUTE FUNCTION log_partition_insert();
SELECT inserted FROM usage_archive.archive_payload('parts', simple_payload(1, 2, '2029-01-10', prefix => 'TR-'));
SELECT * FROM part_trigger_log ORDER BY 1;
DROP TRIGGER log_insert ON usage_archive.daily_usage_history_p20290101;

-- drop_history_before: whole partitions only, the rows they held counted.
SELECT usage_archive.drop_history_before('2029-10-15');
-- (Every partition before it goes, those of the other tests' days too.)
SELECT count(*) AS rows_before FROM usage_archive.daily_usage_history WHERE usage_date < '2029-02-01' \gset
SELECT usage_archive.drop_history_before('2029-02-01') = :rows_before AS removed_rows_counted;
SELECT count(*) AS rows_left_before FROM usage_archive.daily_usage_history WHERE usage_date < '2029-02-01';
SELECT * FROM test_partitions() WHERE range_start < '2029-09-01';
SELECT usage_archive.drop_history_before('2029-10-01') AS rows_removed;
SELECT * FROM test_partitions();
SELECT * FROM history_of('parts');
-- The corrections of dropped days stay: they are the audit trail.
SELECT count(*) AS corrections_kept FROM usage_archive.usage_corrections c
JOIN usage_archive.service_lines l USING (service_line_id) WHERE l.source = 'parts';
-- Days before the dropped ones come back in a partition of their own.
SELECT inserted FROM usage_archive.archive_payload('parts', '{"SL-1": {"daily_usage": [{"date": "2029-09-20", "usage_gb": 5}]}}');
SELECT * FROM test_partitions() WHERE range_start = '2029-09-01';

-- Ready for Citus, without Citus.
-- usage_corrections' key holds the distribution column.
SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'usage_corrections_pkey';
-- Ids come from the extension's sequences, not identity columns.
SELECT attrelid::regclass, attname, attidentity = '' AS no_identity, pg_get_expr(d.adbin, d.adrelid) AS default
FROM pg_attribute a JOIN pg_attrdef d ON (d.adrelid, d.adnum) = (a.attrelid, a.attnum)
WHERE (attrelid, attname) IN (('usage_archive.service_lines'::regclass, 'service_line_id'),
                              ('usage_archive.usage_corrections'::regclass, 'correction_id')) ORDER BY 1;
-- service_lines has no foreign key to sources (a reference table cannot point at a local
-- one); the triggers on sources keep what the key kept.
SELECT count(*) AS keys_to_sources FROM pg_constraint WHERE conrelid = 'usage_archive.service_lines'::regclass AND contype = 'f';
DELETE FROM usage_archive.sources WHERE name = 'parts';
UPDATE usage_archive.sources SET name = 'parts2' WHERE name = 'parts';
SELECT DISTINCT source FROM usage_archive.service_lines WHERE source LIKE 'parts%';
UPDATE usage_archive.sources SET name = 'parts' WHERE name = 'parts2';
-- distribute() without Citus says so.
CALL usage_archive.distribute();
-- On a Citus worker (citus_is_coordinator() false) archive runs are refused (t/013 shows the
-- run log row the background worker keeps of it).
CREATE FUNCTION pg_catalog.citus_is_coordinator() RETURNS boolean LANGUAGE sql AS 'SELECT false';
SELECT inserted FROM usage_archive.archive_payload('parts', simple_payload(1, 1, '2029-10-01'));
DROP FUNCTION pg_catalog.citus_is_coordinator();
SELECT inserted, unchanged FROM usage_archive.archive_payload('parts', simple_payload(1, 1, '2029-10-01'));
-- finished_at is given by the run (a parameter), not computed inside the statement.
SELECT count(*) AS finished_without_time FROM usage_archive.archive_runs WHERE status = 'succeeded' AND finished_at IS NULL;
DROP OWNED BY regress_ua_parts;
DROP ROLE regress_ua_parts;
