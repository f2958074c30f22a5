-- archive_records: any records into any table by its unique keys, with archive_payload's
-- counters, zero-write rule and run log.
CREATE TABLE usage_by_day (line text, day date, gb numeric(10,3), plan text, loaded_at timestamptz DEFAULT now(),
                           PRIMARY KEY (line, day));
CREATE FUNCTION recs(VARIADIC v text[]) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_agg(jsonb_build_object('line', v[i], 'day', v[i + 1], 'gb', v[i + 2]::numeric) ORDER BY i)
    FROM generate_series(1, array_length(v, 1), 3) i $$;

SELECT inserted, updated, unchanged, skipped, rejected, collapsed
FROM usage_archive.archive_records('usage_by_day', recs('A', '2025-10-01', '1', 'A', '2025-10-02', '2', 'B', '2025-10-01', '3'),
                                   '{line,day}');
-- Again: nothing written at all (the rows keep their version).
SELECT ctid AS before FROM usage_by_day WHERE line = 'A' AND day = '2025-10-01' \gset
SELECT inserted, updated, unchanged FROM usage_archive.archive_records('usage_by_day',
    recs('A', '2025-10-01', '1', 'A', '2025-10-02', '2', 'B', '2025-10-01', '3'), '{line,day}');
SELECT ctid = :'before' AS not_rewritten FROM usage_by_day WHERE line = 'A' AND day = '2025-10-01';
-- Corrections beyond the tolerance update; within it nothing; a key twice: the last wins.
SELECT inserted, updated, unchanged, collapsed FROM usage_archive.archive_records('usage_by_day',
    recs('A', '2025-10-01', '1.005', 'A', '2025-10-02', '2.5', 'C', '2025-10-01', '9', 'C', '2025-10-01', '10'),
    '{line,day}');
SELECT line, day, gb FROM usage_by_day ORDER BY 1, 2;
-- A column missing from the records is left alone on update.
UPDATE usage_by_day SET plan = 'gold';
SELECT updated FROM usage_archive.archive_records('usage_by_day', recs('A', '2025-10-01', '7'), '{line,day}');
SELECT line, gb, plan FROM usage_by_day WHERE line = 'A' AND day = '2025-10-01';
-- A zero tolerance.
SELECT updated FROM usage_archive.archive_records('usage_by_day', recs('A', '2025-10-01', '7.001'), '{line,day}', 0);
-- Logged like archive_payload.
SELECT source, entry_point, status, records, inserted, updated, unchanged, collapsed, write_method
FROM usage_archive.archive_runs WHERE entry_point = 'archive_records' AND source NOT LIKE 'public.sp\_%' ORDER BY run_id;

-- Names are only names: a table and columns called like SQL fragments.
CREATE TABLE victim (a int);
CREATE TABLE "x""; DROP TABLE victim; --" ("k'); DROP TABLE victim; --" int PRIMARY KEY,
                                          "v"" text); DROP TABLE victim; --" numeric);
SELECT inserted, updated FROM usage_archive.archive_records('"x""; DROP TABLE victim; --"',
    '[{"k''); DROP TABLE victim; --": 1, "v\" text); DROP TABLE victim; --": 2}]', '{"k''); DROP TABLE victim; --"}');
SELECT inserted, updated FROM usage_archive.archive_records('"x""; DROP TABLE victim; --"',
    '[{"k''); DROP TABLE victim; --": 1, "v\" text); DROP TABLE victim; --": 3}]', '{"k''); DROP TABLE victim; --"}');
SELECT * FROM "x""; DROP TABLE victim; --";
SELECT to_regclass('victim') IS NOT NULL AS victim_survives;
SELECT source FROM usage_archive.archive_runs WHERE entry_point = 'archive_records' ORDER BY run_id DESC LIMIT 1;

-- Clear errors.
SELECT * FROM usage_archive.archive_records('usage_by_day', '[{"line": "A", "day": "2025-10-01", "nope": 1}]', '{line,day}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM usage_archive.archive_records('usage_by_day', '[{"line": "A", "gb": 1}]', '{line,day}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM usage_archive.archive_records('usage_by_day', '[{"line": "A", "day": null, "gb": 1}]', '{line,day}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM usage_archive.archive_records('usage_by_day', '[{"line": "A", "day": "2025-10-01", "gb": "lots"}]', '{line,day}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM usage_archive.archive_records('usage_by_day', '[{"line": "A", "day": "not a date", "gb": 1}]', '{line,day}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM usage_archive.archive_records('usage_by_day', '{"line": "A"}', '{line,day}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM usage_archive.archive_records('usage_by_day', '[1, 2]', '{line,day}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM usage_archive.archive_records('usage_by_day', '[]', '{nope}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM usage_archive.archive_records('usage_by_day', '[]', '{gb}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM usage_archive.archive_records('usage_by_day', NULL, '{line,day}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM usage_archive.archive_records('usage_by_day', '[]', '{line,day}', -1);
\echo :LAST_ERROR_SQLSTATE
-- A generated column, in the records or as a key.
CREATE TABLE with_generated (line text PRIMARY KEY, gb numeric, mb numeric GENERATED ALWAYS AS (gb * 1000) STORED);
SELECT * FROM usage_archive.archive_records('with_generated', '[{"line": "A", "gb": 1, "mb": 5}]', '{line}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM usage_archive.archive_records('with_generated', '[{"line": "A", "gb": 1}]', '{mb}');
\echo :LAST_ERROR_SQLSTATE
SELECT inserted FROM usage_archive.archive_records('with_generated', '[{"line": "A", "gb": 1}]', '{line}');
SELECT * FROM with_generated;
DROP TABLE with_generated;
-- Keys no unique index or guard covers.
CREATE TABLE loose (line text, day date, gb numeric);
SELECT * FROM usage_archive.archive_records('loose', recs('A', '2025-10-01', '1'), '{line,day}');
\echo :LAST_ERROR_SQLSTATE
-- A guard is enough: then duplicates are turned away by it.
SELECT usage_archive.protect('loose', '{line,day}');
SELECT inserted, updated, unchanged FROM usage_archive.archive_records('loose', recs('A', '2025-10-01', '1', 'A', '2025-10-02', '1'), '{line,day}');
SELECT inserted, updated, unchanged FROM usage_archive.archive_records('loose', recs('A', '2025-10-01', '2', 'A', '2025-10-02', '1'), '{line,day}');
SELECT line, day, gb FROM loose ORDER BY 1, 2;
SELECT usage_archive.unprotect('loose');
-- Failed calls leave the table as it was (and, with the worker, a failed run row).
SELECT count(*) AS rows, sum(gb) AS total FROM usage_by_day;

-- Columns named like the statement's own names; another unique constraint than the key's
-- still raises its violation (the key's index is the only arbiter).
CREATE TABLE named_like (n int, j text, r text, i int, t text, id int UNIQUE, PRIMARY KEY (n, j));
SELECT inserted FROM usage_archive.archive_records('named_like',
    '[{"n": 1, "j": "a", "r": "x", "i": 5, "t": "y", "id": 1}]', '{n,j}');
SELECT updated FROM usage_archive.archive_records('named_like',
    '[{"n": 1, "j": "a", "r": "z", "i": 5, "t": "y", "id": 1}]', '{n,j}');
SELECT * FROM usage_archive.archive_records('named_like', '[{"n": 2, "j": "b", "id": 1}]', '{n,j}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM named_like;
DROP TABLE named_like;
-- A unique index on only some of the keys does not cover them.
CREATE TABLE partial_key (line text UNIQUE, day date, gb numeric);
SELECT * FROM usage_archive.archive_records('partial_key', recs('A', '2025-10-01', '1'), '{line,day}');
\echo :LAST_ERROR_SQLSTATE
DROP TABLE partial_key;

-- The caller's own privileges apply.
CREATE ROLE regress_records;
GRANT USAGE ON SCHEMA usage_archive TO regress_records;
SELECT usage_archive.grant_role('regress_records', 'archiver');
GRANT SELECT ON usage_by_day TO regress_records;
SET ROLE regress_records;
SELECT * FROM usage_archive.archive_records('usage_by_day', recs('Z', '2025-10-01', '1'), '{line,day}');
RESET ROLE;
DROP OWNED BY regress_records;
DROP ROLE regress_records;

-- 40001 after four rounds. A trigger plays another session that keeps writing the same key
-- between the call's rounds: each insert of the call finds the key inserted meanwhile (with
-- another value), each update finds the row deleted meanwhile. Round 1 inserts, 2 updates,
-- 3 inserts, 4 updates, and the call gives up with nothing written. Sequences are not rolled
-- back: they count the statements of the failed call (a fifth round, or a third, changes them).
CREATE TABLE contended (line text, day date, gb numeric, PRIMARY KEY (line, day));
CREATE SEQUENCE contended_inserts;
CREATE SEQUENCE contended_updates;
CREATE FUNCTION contend() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF pg_trigger_depth() = 1 AND TG_OP = 'INSERT' THEN
        PERFORM nextval('public.contended_inserts');
        INSERT INTO public.contended VALUES (NEW.line, NEW.day, NEW.gb + 1);
    ELSIF pg_trigger_depth() = 1 THEN
        PERFORM nextval('public.contended_updates');
        DELETE FROM public.contended WHERE line = OLD.line AND day = OLD.day;
    ELSE
        RETURN NEW; -- its own writes
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER contend BEFORE INSERT OR UPDATE ON contended FOR EACH ROW EXECUTE FUNCTION contend();
SELECT * FROM usage_archive.archive_records('contended', recs('R', '2025-10-01', '5'), '{line,day}');
\echo :LAST_ERROR_SQLSTATE
SELECT (SELECT last_value FROM contended_inserts) AS inserts, (SELECT last_value FROM contended_updates) AS updates,
       (SELECT count(*) FROM contended) AS rows_written;
DROP TABLE contended;
DROP FUNCTION contend();
DROP SEQUENCE contended_inserts, contended_updates;

DROP TABLE usage_by_day, victim, "x""; DROP TABLE victim; --", loose;
DROP FUNCTION recs(text[]);
