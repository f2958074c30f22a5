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
