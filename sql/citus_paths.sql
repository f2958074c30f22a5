-- What usage_archive does differently under Citus (found on a real Citus 13.2 cluster:
-- docs/scaling.md), run without Citus: in one transaction, rolled back at the end, a
-- pg_extension row named citus makes usage_archive take its Citus paths.
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
ROLLBACK;
SELECT count(*) AS citus_left FROM pg_extension WHERE extname = 'citus';
