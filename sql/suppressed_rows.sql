-- A BEFORE ROW trigger of the user's on daily_usage_history that returns NULL suppresses a
-- row: the run counts it as skipped (the counters still add up), on the COPY path, the SQL
-- path and for corrections alike, instead of failing. archive_records does the same on any
-- table.
SELECT usage_archive.add_source('supp', 'simple');
CREATE FUNCTION skip_big_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.consumed_gb > 25 THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER skip_big_days BEFORE INSERT OR UPDATE ON usage_archive.daily_usage_history
    FOR EACH ROW EXECUTE FUNCTION skip_big_days();
CREATE FUNCTION supp_payload(bump numeric) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object('S-1', jsonb_build_object('daily_usage', jsonb_build_array(
        jsonb_build_object('date', '2025-10-01', 'usage_gb', 10 + bump),
        jsonb_build_object('date', '2025-10-02', 'usage_gb', 30 + bump),
        jsonb_build_object('date', '2025-10-03', 'usage_gb', 20 + bump)))) $$;

-- COPY path: 2 inserted, 1 suppressed by the trigger.
SELECT inserted, updated, unchanged, skipped FROM usage_archive.archive_payload('supp', supp_payload(0));
SELECT records = inserted + updated + unchanged + skipped + rejected + collapsed AS adds_up, write_method
FROM usage_archive.archive_runs ORDER BY run_id DESC LIMIT 1;
-- Corrections: 10 -> 15 is applied; 20 -> 26 is suppressed by the trigger; the 30 day is
-- still new and still suppressed.
SELECT inserted, updated, unchanged, skipped FROM usage_archive.archive_payload('supp', supp_payload(6) #- '{S-1,daily_usage,0}');
SELECT inserted, updated, unchanged, skipped FROM usage_archive.archive_payload('supp',
    jsonb_set(supp_payload(6), '{S-1,daily_usage,0,usage_gb}', '15'));
-- The SQL path.
SET usage_archive.write_method = 'sql';
SELECT inserted, updated, unchanged, skipped FROM usage_archive.archive_payload('supp',
    jsonb_build_object('S-2', jsonb_build_object('daily_usage', jsonb_build_array(
        jsonb_build_object('date', '2025-10-01', 'usage_gb', 1), jsonb_build_object('date', '2025-10-02', 'usage_gb', 99)))));
SELECT records = inserted + updated + unchanged + skipped + rejected + collapsed AS adds_up, write_method
FROM usage_archive.archive_runs ORDER BY run_id DESC LIMIT 1;
RESET usage_archive.write_method;
SELECT l.service_line_number, h.usage_date, h.consumed_gb
FROM usage_archive.daily_usage_history h JOIN usage_archive.service_lines l USING (service_line_id)
WHERE l.source = 'supp' ORDER BY 1, 2;

DROP TRIGGER skip_big_days ON usage_archive.daily_usage_history;

-- archive_records into a table of the user's with the same kind of trigger.
CREATE TABLE supp_legacy (line text, day date, consumed_gb numeric, PRIMARY KEY (line, day));
CREATE TRIGGER skip_big_days BEFORE INSERT OR UPDATE ON supp_legacy FOR EACH ROW EXECUTE FUNCTION skip_big_days();
SELECT inserted, updated, unchanged, skipped FROM usage_archive.archive_records('supp_legacy',
    '[{"line": "S", "day": "2025-10-01", "consumed_gb": 10}, {"line": "S", "day": "2025-10-02", "consumed_gb": 30},
      {"line": "S", "day": "2025-10-03", "consumed_gb": 20}]', '{line,day}');
SELECT inserted, updated, unchanged, skipped FROM usage_archive.archive_records('supp_legacy',
    '[{"line": "S", "day": "2025-10-01", "consumed_gb": 15}, {"line": "S", "day": "2025-10-02", "consumed_gb": 30},
      {"line": "S", "day": "2025-10-03", "consumed_gb": 26}]', '{line,day}');
SELECT records = inserted + updated + unchanged + skipped + rejected + collapsed AS adds_up, status
FROM usage_archive.archive_runs ORDER BY run_id DESC LIMIT 1;
SELECT line, day, consumed_gb FROM supp_legacy ORDER BY 1, 2;
-- The guard on that table: an insert it turns into an update the trigger refuses is
-- suppressed, counted so, and nothing fails.
SELECT usage_archive.protect('supp_legacy', '{line,day}');
CREATE FUNCTION refuse_updates() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER refuse_updates BEFORE UPDATE ON supp_legacy FOR EACH ROW EXECUTE FUNCTION refuse_updates();
INSERT INTO supp_legacy VALUES ('S', '2025-10-03', 24), ('S', '2025-10-01', 16), ('S', '2025-10-04', 1);
SELECT line, day, consumed_gb FROM supp_legacy ORDER BY 1, 2;
SELECT inserted, converted_to_update, suppressed FROM usage_archive.protected_tables;
SELECT usage_archive.unprotect('supp_legacy');
DROP TABLE supp_legacy;
DROP FUNCTION skip_big_days(), supp_payload(numeric), refuse_updates();

-- 40001 after four write rounds. A trigger plays another session that keeps writing the same
-- day between the run's rounds: each insert of the run finds the day written meanwhile (with
-- another value), each update finds it moved to another day. The run inserts once, sees the
-- day changed and leaves it for its last write (as every correction); there, round 1
-- updates, 2 inserts, 3 updates, 4 inserts, and the run gives up with nothing written.
-- Sequences are not rolled back: they count the statements of the failed call (a fifth
-- round, or a third, changes them).
CREATE SEQUENCE contended_inserts;
CREATE SEQUENCE contended_updates;
CREATE FUNCTION contend() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF pg_trigger_depth() > 1 THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'INSERT' THEN
        PERFORM nextval('public.contended_inserts');
        INSERT INTO usage_archive.daily_usage_history (service_line_id, usage_date, consumed_gb)
        VALUES (NEW.service_line_id, NEW.usage_date, NEW.consumed_gb + 1);
        RETURN NULL;
    END IF;
    NEW.usage_date := date '2000-01-01' + nextval('public.contended_updates')::int;
    RETURN NEW;
END $$;
SELECT usage_archive.add_source('race', 'simple');
CREATE TRIGGER contend BEFORE INSERT OR UPDATE ON usage_archive.daily_usage_history
    FOR EACH ROW EXECUTE FUNCTION contend();
SET usage_archive.write_method = 'sql';
SELECT * FROM usage_archive.archive_payload('race', '{"R-1": {"daily_usage": [{"date": "2025-10-01", "usage_gb": 5}]}}');
\echo :LAST_ERROR_SQLSTATE
RESET usage_archive.write_method;
SELECT (SELECT last_value FROM contended_inserts) AS inserts, (SELECT last_value FROM contended_updates) AS updates,
       (SELECT count(*) FROM usage_archive.daily_usage_history h JOIN usage_archive.service_lines l USING (service_line_id)
        WHERE l.source = 'race') AS rows_written;
DROP TRIGGER contend ON usage_archive.daily_usage_history;
DROP FUNCTION contend();
DROP SEQUENCE contended_inserts, contended_updates;
