-- New rows go through PostgreSQL's COPY machinery where that is safe, and through INSERT
-- statements where a table feature needs them; both give the same archive.
SELECT usage_archive.add_source('paths', 'simple');
CREATE FUNCTION last_run(OUT write_method text, OUT inserted bigint, OUT updated bigint, OUT unchanged bigint)
LANGUAGE sql AS $$ SELECT write_method, inserted, updated, unchanged FROM usage_archive.archive_runs ORDER BY run_id DESC LIMIT 1 $$;

SELECT inserted FROM usage_archive.archive_payload('paths', simple_payload(2, 5, prefix => 'P1-'));
SELECT * FROM last_run();

SET usage_archive.write_method = sql;
SELECT inserted FROM usage_archive.archive_payload('paths', simple_payload(2, 5, prefix => 'P2-'));
SELECT * FROM last_run();
RESET usage_archive.write_method;
-- Same data, either way.
SELECT count(*), sum(h.consumed_gb) FILTER (WHERE l.service_line_number LIKE 'P1-%') AS p1,
       sum(h.consumed_gb) FILTER (WHERE l.service_line_number LIKE 'P2-%') AS p2
FROM usage_archive.daily_usage_history h JOIN usage_archive.service_lines l USING (service_line_id)
WHERE l.source = 'paths';

-- Triggers on the table fire on the COPY path too.
CREATE TABLE trigger_log (service_line_id bigint, usage_date date, tg_op text);
-- Archive runs pin search_path to pg_catalog, pg_temp, and so do the triggers they fire:
-- a trigger function names its tables with their schema (or has its own SET search_path).
CREATE FUNCTION log_history_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO public.trigger_log VALUES (NEW.service_line_id, NEW.usage_date, TG_OP); RETURN NEW; END $$;
CREATE TRIGGER log_insert AFTER INSERT ON usage_archive.daily_usage_history
  FOR EACH ROW EXECUTE FUNCTION log_history_insert();
SELECT inserted FROM usage_archive.archive_payload('paths', simple_payload(1, 3, prefix => 'P3-'));
SELECT write_method FROM last_run();
SELECT count(*) AS trigger_fired FROM trigger_log;
DROP TRIGGER log_insert ON usage_archive.daily_usage_history;

-- A rule is honoured: COPY would skip it, so the run inserts through SQL.
CREATE TABLE rule_log (service_line_id bigint, usage_date date);
CREATE RULE also_log AS ON INSERT TO usage_archive.daily_usage_history
  DO ALSO INSERT INTO rule_log VALUES (NEW.service_line_id, NEW.usage_date);
SELECT inserted FROM usage_archive.archive_payload('paths', simple_payload(1, 4, prefix => 'P4-'));
SELECT write_method FROM last_run();
SELECT count(*) AS rule_fired FROM rule_log;
DROP RULE also_log ON usage_archive.daily_usage_history;

-- Row-level security is honoured for roles it applies to.
CREATE ROLE regress_ua_rls;
GRANT USAGE ON SCHEMA usage_archive TO regress_ua_rls;
GRANT EXECUTE ON FUNCTION usage_archive.archive_payload(text, text), usage_archive.archive_payload(text, jsonb) TO regress_ua_rls;
GRANT SELECT ON usage_archive.sources TO regress_ua_rls;
GRANT SELECT, INSERT, UPDATE ON usage_archive.service_lines, usage_archive.daily_usage_history,
      usage_archive.usage_corrections, usage_archive.archive_runs TO regress_ua_rls;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA usage_archive TO regress_ua_rls;
ALTER TABLE usage_archive.daily_usage_history ENABLE ROW LEVEL SECURITY;
CREATE POLICY see_all ON usage_archive.daily_usage_history FOR SELECT USING (true);
CREATE POLICY no_future ON usage_archive.daily_usage_history FOR INSERT WITH CHECK (usage_date < '2030-01-01');
SET ROLE regress_ua_rls;
SELECT inserted FROM usage_archive.archive_payload('paths', simple_payload(1, 2, prefix => 'P5-'));
SELECT write_method FROM last_run();
SELECT inserted FROM usage_archive.archive_payload('paths', simple_payload(1, 2, '2031-01-01', prefix => 'P6-'));
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
DROP POLICY see_all ON usage_archive.daily_usage_history;
DROP POLICY no_future ON usage_archive.daily_usage_history;
ALTER TABLE usage_archive.daily_usage_history DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON ALL TABLES IN SCHEMA usage_archive FROM regress_ua_rls;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA usage_archive FROM regress_ua_rls;
REVOKE ALL ON FUNCTION usage_archive.archive_payload(text, text), usage_archive.archive_payload(text, jsonb) FROM regress_ua_rls;
REVOKE ALL ON SCHEMA usage_archive FROM regress_ua_rls;
DROP ROLE regress_ua_rls;

-- Someone else inserts a key between the diff and the write (here: a trigger doing it on
-- the first row, once). COPY meets a unique violation, rolls back its subtransaction, and
-- the run finishes through SQL: no error, no duplicate, the other writer's value is
-- compared and corrected like any archived value.
CREATE FUNCTION race_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF pg_trigger_depth() = 1 AND current_setting('regress.race', true) = 'on' THEN
    PERFORM set_config('regress.race', 'off', false);
    INSERT INTO usage_archive.daily_usage_history (service_line_id, usage_date, consumed_gb)
    VALUES (NEW.service_line_id, NEW.usage_date, NEW.consumed_gb + 100);
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER race BEFORE INSERT ON usage_archive.daily_usage_history FOR EACH ROW EXECUTE FUNCTION race_once();
SET regress.race = on;
SELECT inserted, updated, unchanged FROM usage_archive.archive_payload('paths', simple_payload(1, 3, prefix => 'P7-'));
SELECT write_method FROM last_run();
DROP TRIGGER race ON usage_archive.daily_usage_history;
SELECT h.usage_date, h.consumed_gb, count(*) OVER () FROM usage_archive.daily_usage_history h
JOIN usage_archive.service_lines l USING (service_line_id) WHERE l.service_line_number = 'P7-1' ORDER BY 1;
