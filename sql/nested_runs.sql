-- An archive run cannot start inside another: user code that runs during a run (a trigger on
-- any of the tables a run writes, a column default, a CHECK constraint) and calls
-- archive_payload or archive_usage gets a clear error (55006), the outer run fails, nothing
-- of it is written and every earlier row stays. (Before this was refused, a nested run
-- during the outer run's COPY reset the COPY feed and crashed the server.)
SELECT usage_archive.add_source('nest_outer', 'simple');
SELECT usage_archive.add_source('nest_inner', 'simple');
-- Earlier rows of both sources, which every failed attempt below must leave alone.
SELECT inserted FROM usage_archive.archive_payload('nest_outer', simple_payload(2, 2, prefix => 'NO-'));
SELECT inserted FROM usage_archive.archive_payload('nest_inner', simple_payload(1, 2, prefix => 'NI-'));
CREATE TABLE nest_before AS
SELECT l.source, h.service_line_id, h.usage_date, h.consumed_gb, h.updated_at
FROM usage_archive.daily_usage_history h JOIN usage_archive.service_lines l USING (service_line_id);
CREATE TABLE nest_runs_before AS SELECT count(*) AS n FROM usage_archive.archive_runs;

-- The archive call user code makes, and a way to run an outer archive and see the outcome.
-- (Archive runs fire triggers with search_path = pg_catalog, pg_temp: names are qualified.)
-- Every outer run below carries new days, so that its inserts fire what is being tested.
CREATE FUNCTION nested_archive() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  PERFORM usage_archive.archive_payload('nest_inner', '{"NI-1": {"daily_usage": [{"date": "2025-12-01", "usage_gb": 1}]}}');
  RETURN true;
END $$;
CREATE FUNCTION nested_archive_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM public.nested_archive(); RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END; END $$;
CREATE FUNCTION outer_archive(payload jsonb) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM usage_archive.archive_payload('nest_outer', payload);
  RETURN 'archived';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
CREATE FUNCTION nothing_changed() RETURNS boolean LANGUAGE sql AS $$
  SELECT (SELECT count(*) FROM usage_archive.archive_runs) = (SELECT n FROM nest_runs_before)
     AND NOT EXISTS (
       SELECT l.source, h.service_line_id, h.usage_date, h.consumed_gb, h.updated_at
       FROM usage_archive.daily_usage_history h JOIN usage_archive.service_lines l USING (service_line_id)
       EXCEPT SELECT * FROM nest_before)
     AND (SELECT count(*) FROM usage_archive.daily_usage_history) = (SELECT count(*) FROM nest_before)
     AND (SELECT count(*) FROM usage_archive.service_lines WHERE source LIKE 'nest%') = 3 $$;

-- The reported crash: a BEFORE INSERT row trigger on the history table, fired by the COPY of
-- an outer run of 100,000 records. Then the same on the SQL write path.
CREATE TRIGGER nest BEFORE INSERT ON usage_archive.daily_usage_history
  FOR EACH ROW EXECUTE FUNCTION nested_archive_trigger();
SELECT * FROM usage_archive.archive_payload('nest_outer', simple_payload(100, 1000, '2020-01-01', prefix => 'NO-'));
SELECT nothing_changed();
SET usage_archive.write_method = 'sql';
SELECT outer_archive(simple_payload(2, 5, '2025-11-01', prefix => 'NO-'));
SELECT nothing_changed();
RESET usage_archive.write_method;
DROP TRIGGER nest ON usage_archive.daily_usage_history;
-- An AFTER UPDATE statement trigger, fired by a correction.
CREATE TRIGGER nest AFTER UPDATE ON usage_archive.daily_usage_history
  FOR EACH STATEMENT EXECUTE FUNCTION nested_archive_trigger();
SELECT outer_archive(simple_payload(2, 2, prefix => 'NO-', bump => 5));
SELECT nothing_changed();
DROP TRIGGER nest ON usage_archive.daily_usage_history;
-- A trigger on service_lines, fired when the run registers a new line.
CREATE TRIGGER nest AFTER INSERT ON usage_archive.service_lines
  FOR EACH ROW EXECUTE FUNCTION nested_archive_trigger();
SELECT outer_archive(simple_payload(3, 2, prefix => 'NO-'));  -- NO-3 is a new line
SELECT nothing_changed();
DROP TRIGGER nest ON usage_archive.service_lines;
-- Triggers on the audit tables (only their owner can create them).
CREATE TRIGGER nest AFTER INSERT ON usage_archive.usage_corrections
  FOR EACH ROW EXECUTE FUNCTION nested_archive_trigger();
SELECT outer_archive(simple_payload(2, 2, prefix => 'NO-', bump => 5));
SELECT nothing_changed();
DROP TRIGGER nest ON usage_archive.usage_corrections;
CREATE TRIGGER nest BEFORE INSERT ON usage_archive.archive_runs
  FOR EACH ROW EXECUTE FUNCTION nested_archive_trigger();
SELECT outer_archive(simple_payload(2, 2, prefix => 'NO-'));
SELECT nothing_changed();
DROP TRIGGER nest ON usage_archive.archive_runs;
-- A column default and a CHECK constraint that call it (the default is set after the column
-- is added, so that adding it calls nothing).
ALTER TABLE usage_archive.daily_usage_history ADD COLUMN nest_note boolean;
ALTER TABLE usage_archive.daily_usage_history ALTER COLUMN nest_note SET DEFAULT public.nested_archive();
SELECT outer_archive(simple_payload(2, 2, '2025-11-10', prefix => 'NO-'));
SELECT nothing_changed();
ALTER TABLE usage_archive.daily_usage_history DROP COLUMN nest_note;
ALTER TABLE usage_archive.daily_usage_history ADD CONSTRAINT nest CHECK (public.nested_archive()) NOT VALID;
SELECT outer_archive(simple_payload(2, 2, '2025-11-12', prefix => 'NO-'));
SELECT nothing_changed();
ALTER TABLE usage_archive.daily_usage_history DROP CONSTRAINT nest;
-- archive_usage is refused the same way, before it looks at its arguments or the network.
CREATE OR REPLACE FUNCTION nested_archive() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN PERFORM usage_archive.archive_usage('no such source'); RETURN true; END $$;
CREATE TRIGGER nest BEFORE INSERT ON usage_archive.daily_usage_history
  FOR EACH ROW EXECUTE FUNCTION nested_archive_trigger();
SELECT outer_archive(simple_payload(2, 2, '2025-11-14', prefix => 'NO-'));
SELECT nothing_changed();
DROP TRIGGER nest ON usage_archive.daily_usage_history;

-- The error is an ordinary one: user code that catches it lets the outer run finish.
CREATE OR REPLACE FUNCTION nested_archive() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  PERFORM usage_archive.archive_payload('nest_inner', '{"NI-1": {"daily_usage": [{"date": "2025-12-01", "usage_gb": 1}]}}');
  RETURN true;
EXCEPTION WHEN object_in_use THEN
  RETURN false;
END $$;
CREATE TRIGGER nest BEFORE INSERT ON usage_archive.daily_usage_history
  FOR EACH ROW EXECUTE FUNCTION nested_archive_trigger();
SELECT outer_archive(simple_payload(2, 2, '2025-11-16', prefix => 'NO-'));
DROP TRIGGER nest ON usage_archive.daily_usage_history;
SELECT source, count(*) FROM usage_archive.daily_usage_history h JOIN usage_archive.service_lines l USING (service_line_id)
WHERE source LIKE 'nest%' GROUP BY source ORDER BY source;
-- Runs one after another in one statement are not nested.
SELECT s, (usage_archive.archive_payload(s, simple_payload(1, 2, prefix => 'NI-'))).unchanged
FROM (VALUES ('nest_inner'), ('nest_inner')) v(s);

DROP FUNCTION outer_archive(jsonb), nothing_changed(), nested_archive_trigger(), nested_archive();
DROP TABLE nest_before, nest_runs_before;
