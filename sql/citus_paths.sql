-- What usage_archive does differently under Citus (found on a real Citus 13.2 cluster:
-- docs/scaling.md), run without Citus: in one transaction, rolled back at the end, a
-- pg_extension row named citus makes usage_archive take its Citus paths, and stand-ins in
-- pg_catalog for the few Citus functions and the catalog it calls apply the Citus rules that
-- refused 0.8.0 (named in each).
BEGIN;
INSERT INTO pg_catalog.pg_extension (oid, extname, extowner, extnamespace, extrelocatable, extversion)
VALUES (pg_catalog.pg_nextoid('pg_catalog.pg_extension', 'oid', 'pg_catalog.pg_extension_oid_index'),
        'citus', 10, 'pg_catalog'::regnamespace, false, '13.2-1');

SELECT usage_archive.add_source('citus_story', 'simple');
SELECT inserted, updated, unchanged FROM usage_archive.archive_payload('citus_story', simple_payload(2, 2, '2025-10-01', prefix => 'CIT-'));

-- A corrected value: the row is found by a join on its key and updated by its key and old
-- values, not by tableoid and ctid (a shard's row on a worker) through a LATERAL subquery with
-- OFFSET (Citus: "cannot push down this subquery"). The statement shows in the error of a
-- trigger that refuses the update.
SELECT inserted, updated, unchanged FROM usage_archive.archive_payload('citus_story', simple_payload(2, 2, '2025-10-01', bump => 1, prefix => 'CIT-'));
SELECT c.usage_date, c.old_consumed_gb, c.new_consumed_gb FROM usage_archive.usage_corrections c
JOIN usage_archive.service_lines l USING (service_line_id) WHERE l.source = 'citus_story' ORDER BY l.service_line_number, 1;
SELECT l.service_line_number, h.usage_date, h.consumed_gb FROM usage_archive.daily_usage_history h
JOIN usage_archive.service_lines l USING (service_line_id) WHERE l.source = 'citus_story' ORDER BY 1, 2;
CREATE FUNCTION public.citus_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'refused'; END $$;
CREATE TRIGGER refuse BEFORE UPDATE ON usage_archive.daily_usage_history FOR EACH ROW EXECUTE FUNCTION public.citus_test_refuse();
SAVEPOINT before_refusal;
SELECT updated FROM usage_archive.archive_payload('citus_story', simple_payload(1, 1, '2025-10-01', bump => 2, prefix => 'CIT-'));
ROLLBACK TO SAVEPOINT before_refusal;
DROP TRIGGER refuse ON usage_archive.daily_usage_history;

-- billing_cycles: Citus refuses a function that is not IMMUTABLE in the DO UPDATE SET of an
-- INSERT, and sends no type for a parameter used there: updated_at is the inserted row's.
SELECT usage_archive.add_source('citus_fleet', 'starlink', base_url => 'https://starlink.com/api');
SELECT inserted FROM usage_archive.archive_payload('citus_fleet', starlink_payload(1, 2, prefix => 'CIF-'));
SELECT inserted FROM usage_archive.archive_payload('citus_fleet', starlink_payload(1, 3, prefix => 'CIF-'));
SELECT b.updated_at = now() AS updated_now, b.first_run_id < b.last_run_id AS updated_by_the_second_run
FROM usage_archive.billing_cycles b JOIN usage_archive.service_lines l USING (service_line_id) WHERE l.source = 'citus_fleet';
CREATE TRIGGER refuse BEFORE UPDATE ON usage_archive.billing_cycles FOR EACH ROW EXECUTE FUNCTION public.citus_test_refuse();
SAVEPOINT before_refusal;
SELECT inserted FROM usage_archive.archive_payload('citus_fleet', starlink_payload(1, 4, prefix => 'CIF-'));
ROLLBACK TO SAVEPOINT before_refusal;
DROP TRIGGER refuse ON usage_archive.billing_cycles;

-- An archive run talks to each worker over one connection: Citus refused an ATTACH PARTITION
-- (or a new service line) after a multi-shard statement of the same transaction.
CREATE TEMP TABLE seen_modes (tab text, mode text);
CREATE FUNCTION public.citus_test_note_mode() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO seen_modes VALUES (TG_TABLE_NAME, current_setting('citus.multi_shard_modify_mode', true));
    RETURN NULL;
END $$;
CREATE TRIGGER note_mode AFTER INSERT OR UPDATE ON usage_archive.daily_usage_history
    FOR EACH STATEMENT EXECUTE FUNCTION public.citus_test_note_mode();
SELECT updated FROM usage_archive.archive_payload('citus_story', simple_payload(2, 2, '2025-10-01', bump => 3, prefix => 'CIT-'));
SELECT inserted FROM usage_archive.archive_payload('citus_story', simple_payload(1, 1, '2025-11-01', prefix => 'CIT-'));
SELECT DISTINCT tab, mode FROM seen_modes;
SELECT write_method FROM usage_archive.archive_runs ORDER BY run_id DESC LIMIT 1;
DROP TRIGGER note_mode ON usage_archive.daily_usage_history;

-- partition_history, drop_history_before and the partitions runs and the background worker make
-- attach or detach partitions over one connection per worker too; grant_role grants on the
-- reference table after the distributed ones.
SELECT oid::regprocedure, proconfig FROM pg_proc
WHERE proname IN ('partition_history', 'drop_history_before', 'ensure_history_partitions', 'premake_history_partitions', 'grant_role')
ORDER BY oid::regprocedure::text;

-- distribute(): stand-ins for Citus's catalog and functions, with the rules that refused 0.8.0's
-- distribute(): create_reference_table() of a table a local table has a foreign key to (Citus
-- makes that table a Citus local table, rebuilding it and the extension's views over it:
-- "cannot drop view usage_archive.billing_cycle_usage because extension usage_archive requires
-- it"), and a foreign key to a table that is not distributed.
SET LOCAL allow_system_table_mods = on;
CREATE TABLE pg_catalog.pg_dist_partition (logicalrelid regclass PRIMARY KEY);
RESET allow_system_table_mods;
CREATE TEMP TABLE citus_calls (n serial, call text, mode text);
CREATE FUNCTION pg_catalog.citus_is_coordinator() RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE FUNCTION pg_catalog.create_reference_table(table_name regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT FROM pg_constraint c WHERE c.contype = 'f' AND c.confrelid = table_name
               AND c.conrelid NOT IN (SELECT logicalrelid FROM pg_catalog.pg_dist_partition)) THEN
        RAISE EXCEPTION 'emulated Citus: % is referenced by a local table, which would be rebuilt', table_name;
    END IF;
    INSERT INTO pg_catalog.pg_dist_partition VALUES (table_name);
    INSERT INTO citus_calls (call, mode) VALUES (format('create_reference_table(%s)', table_name),
                                                 current_setting('citus.multi_shard_modify_mode', true));
END $$;
CREATE FUNCTION pg_catalog.create_distributed_table(table_name regclass, distribution_column text,
                                                    colocate_with text DEFAULT 'default', shard_count integer DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid = table_name
               AND c.confrelid NOT IN (SELECT logicalrelid FROM pg_catalog.pg_dist_partition)) THEN
        RAISE EXCEPTION 'emulated Citus: % has a foreign key to a local table', table_name;
    END IF;
    INSERT INTO pg_catalog.pg_dist_partition
    SELECT table_name UNION ALL SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = table_name;
    INSERT INTO citus_calls (call, mode) VALUES (format('create_distributed_table(%s, %s, colocate_with => %s, shard_count => %s)',
                                                        table_name, distribution_column, colocate_with, shard_count),
                                                 current_setting('citus.multi_shard_modify_mode', true));
END $$;
CREATE FUNCTION pg_catalog.truncate_local_data_after_distributing_table(function_name regclass) RETURNS void
LANGUAGE sql AS $$ INSERT INTO citus_calls (call, mode) VALUES (format('truncate_local_data_after_distributing_table(%s)', function_name),
                                                                 current_setting('citus.multi_shard_modify_mode', true)) $$;
SELECT conrelid::regclass, conname, pg_get_constraintdef(oid),
       (SELECT count(*) FROM pg_constraint p WHERE p.conparentid = c.oid) AS on_partitions
FROM pg_constraint c WHERE confrelid = 'usage_archive.service_lines'::regclass AND conparentid = 0 ORDER BY conrelid::regclass::text, conname;
CALL usage_archive.distribute(shard_count => 8);
SELECT call, mode FROM citus_calls ORDER BY n;
-- The foreign keys to service_lines are back, as they were.
SELECT conrelid::regclass, conname, pg_get_constraintdef(oid),
       (SELECT count(*) FROM pg_constraint p WHERE p.conparentid = c.oid) AS on_partitions
FROM pg_constraint c WHERE confrelid = 'usage_archive.service_lines'::regclass AND conparentid = 0 ORDER BY conrelid::regclass::text, conname;
CALL usage_archive.distribute();

-- DROP EXTENSION usage_archive: Citus failed on the extension's DEFAULT partition of the
-- distributed history ("relation daily_usage_history_default is not distributed"), and kept
-- every shard of the extension's tables. The event trigger detaches the partition and drops the
-- shards first, as Citus does for a DROP TABLE; other DROP EXTENSION statements are left alone.
TRUNCATE citus_calls;
CREATE FUNCTION pg_catalog.citus_drop_all_shards(logicalrelid regclass, schema_name text, table_name text)
RETURNS integer LANGUAGE sql AS $$ INSERT INTO citus_calls (call, mode) VALUES (format('citus_drop_all_shards(%s, %s)', schema_name, table_name),
                                                                                 current_setting('citus.multi_shard_modify_mode', true)) RETURNING 0 $$;
DROP EXTENSION IF EXISTS no_such_extension;
SELECT count(*) AS calls FROM citus_calls;
-- What it does: the DEFAULT partition detached, the shards of every distributed table dropped,
-- the period partitions' first and the partitioned history's last.
SAVEPOINT before_drop;
SELECT usage_archive_private.prepare_drop_on_citus();
SELECT count(*) AS default_partition_attached FROM pg_inherits WHERE inhrelid = 'usage_archive.daily_usage_history_default'::regclass;
-- history_partitioning locked first, as the background worker's premake takes it before the history.
SELECT bool_or(mode = 'AccessExclusiveLock') AS partitioning_locked FROM pg_locks
WHERE relation = 'usage_archive_private.history_partitioning'::regclass AND pid = pg_backend_pid() AND granted;
SELECT regexp_replace(call, '_p[0-9]{8}', '_pYYYYMMDD') AS call, mode, count(*), min(n) < (SELECT max(n) FROM citus_calls WHERE call LIKE '%daily_usage_history)') AS before_history
FROM citus_calls GROUP BY 1, 2 ORDER BY 1;
ROLLBACK TO SAVEPOINT before_drop;
-- DROP EXTENSION usage_archive calls it (and succeeds, here rolled back).
SAVEPOINT before_drop;
SET LOCAL client_min_messages = warning;
DROP EXTENSION usage_archive CASCADE;
RESET client_min_messages;
SELECT count(*) > 0 AS shards_dropped_first FROM citus_calls;
ROLLBACK TO SAVEPOINT before_drop;
-- On a worker, nothing.
CREATE OR REPLACE FUNCTION pg_catalog.citus_is_coordinator() RETURNS boolean LANGUAGE sql AS 'SELECT false';
TRUNCATE citus_calls;
SELECT usage_archive_private.prepare_drop_on_citus();
SELECT count(*) AS calls FROM citus_calls;
ROLLBACK;
SELECT count(*) AS citus_left FROM pg_extension WHERE extname = 'citus';
