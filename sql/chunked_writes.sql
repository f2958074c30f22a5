-- A run is written a chunk at a time while its payload is parsed (write_chunk_records). A day
-- that comes again in a later chunk (a service line listed twice, the same line on two pages)
-- must end exactly as if the whole payload had been in hand: the same counters, the same rows,
-- the same writes. Each scenario runs on two sources with the same history: 'whole' with the
-- default chunk size (the payload is one chunk) and 'chunked' with one record per chunk
-- (every service line object is a chunk of its own).
SELECT usage_archive.add_source('whole', 'simple');
SELECT usage_archive.add_source('chunked', 'simple');
SELECT usage_archive.add_source('chunked_closed', 'simple', options => '{"register_new_service_lines": false}');
SELECT usage_archive.add_source('whole_closed', 'simple', options => '{"register_new_service_lines": false}');

CREATE TABLE scenario_result (scenario text, mode text, inserted bigint, updated bigint, unchanged bigint,
                              skipped bigint, collapsed bigint, tuples_inserted bigint, tuples_updated bigint,
                              corrections bigint, state text);

CREATE VIEW history_stats AS
SELECT n_tup_ins, n_tup_upd FROM pg_stat_xact_user_tables
WHERE relid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'usage_archive.daily_usage_history'::regclass
                UNION ALL SELECT 'usage_archive.daily_usage_history'::regclass);

-- Archives `payload` into `src` with `chunk` records per chunk and records what happened: the
-- counters, the row versions this run's transaction wrote, its audit rows, and the source's
-- whole state afterwards.
CREATE FUNCTION run_scenario(scenario text, src text, chunk int, payload text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  r record;
  ins0 bigint;
  upd0 bigint;
BEGIN
  PERFORM set_config('usage_archive.write_chunk_records', chunk::text, true);
  -- The backend's pending counters of the history's partitions: their growth is this run's
  -- writes.
  SELECT sum(n_tup_ins), sum(n_tup_upd) INTO ins0, upd0 FROM history_stats;
  SELECT * INTO r FROM usage_archive.archive_payload(src, payload);
  INSERT INTO scenario_result
  SELECT scenario, substring(src FROM '^(whole|chunked)'), r.inserted, r.updated, r.unchanged, r.skipped, r.collapsed,
         s.ins - ins0, s.upd - upd0,
         (SELECT count(*) FROM usage_archive.usage_corrections c WHERE c.run_id = r.run_id),
         (SELECT string_agg(l.service_line_number || ' ' || h.usage_date || ' ' || h.consumed_gb, ', '
                            ORDER BY l.service_line_number, h.usage_date)
          FROM usage_archive.daily_usage_history h JOIN usage_archive.service_lines l USING (service_line_id)
          WHERE l.source = src)
  FROM (SELECT sum(n_tup_ins) AS ins, sum(n_tup_upd) AS upd FROM history_stats) s;
END $$;

-- 1. First load; line A is listed twice, its 10-01 with two values: the later (3) wins.
\set p1 '{"A": {"daily_usage": [{"date": "2025-10-01", "usage_gb": 1}, {"date": "2025-10-02", "usage_gb": 2}]}, "B": {"daily_usage": [{"date": "2025-10-01", "usage_gb": 5}]}, "A": {"daily_usage": [{"date": "2025-10-01", "usage_gb": 3}]}}'
SELECT run_scenario('1 first load', 'whole', 65536, :'p1');
SELECT run_scenario('1 first load', 'chunked', 1, :'p1');
-- 2. The same payload again: nothing written, though the earlier copy of A 10-01 differs.
SELECT run_scenario('2 identical again', 'whole', 65536, :'p1');
SELECT run_scenario('2 identical again', 'chunked', 1, :'p1');
-- 3. Two new values of a day: one update from 3 to the last (4), one audit row.
\set p3 '{"A": {"daily_usage": [{"date": "2025-10-01", "usage_gb": 1}]}, "A": {"daily_usage": [{"date": "2025-10-01", "usage_gb": 4}]}}'
SELECT run_scenario('3 changed twice', 'whole', 65536, :'p3');
SELECT run_scenario('3 changed twice', 'chunked', 1, :'p3');
-- 4. Unchanged first, then a new value: an update.
\set p4 '{"A": {"daily_usage": [{"date": "2025-10-01", "usage_gb": 4}]}, "B": {"daily_usage": []}, "A": {"daily_usage": [{"date": "2025-10-01", "usage_gb": 7}]}}'
SELECT run_scenario('4 unchanged then changed', 'whole', 65536, :'p4');
SELECT run_scenario('4 unchanged then changed', 'chunked', 1, :'p4');
-- 5. Changed first, then back to the archived value: nothing written.
\set p5 '{"A": {"daily_usage": [{"date": "2025-10-01", "usage_gb": 9}]}, "A": {"daily_usage": [{"date": "2025-10-01", "usage_gb": 7}]}}'
SELECT run_scenario('5 changed then back', 'whole', 65536, :'p5');
SELECT run_scenario('5 changed then back', 'chunked', 1, :'p5');
-- 6. A new day listed twice, the copies within the tolerance of each other, and a third time.
\set p6 '{"C": {"daily_usage": [{"date": "2025-10-03", "usage_gb": 1}]}, "C": {"daily_usage": [{"date": "2025-10-03", "usage_gb": 1.005}]}, "C": {"daily_usage": [{"date": "2025-10-03", "usage_gb": 2}, {"date": "2025-10-04", "usage_gb": 6}]}}'
SELECT run_scenario('6 new day three times', 'whole', 65536, :'p6');
SELECT run_scenario('6 new day three times', 'chunked', 1, :'p6');
-- 7. Unknown lines of a source that registers none: skipped, however often they come.
\set p7 '{"X": {"daily_usage": [{"date": "2025-10-01", "usage_gb": 1}]}, "X": {"daily_usage": [{"date": "2025-10-01", "usage_gb": 2}, {"date": "2025-10-02", "usage_gb": 2}]}}'
SELECT run_scenario('7 unknown line', 'whole_closed', 65536, :'p7');
SELECT run_scenario('7 unknown line', 'chunked_closed', 1, :'p7');
-- 8, 9. The starlink shape, 5 lines x 20 days, 7 records a chunk (a chunk per line): loaded,
-- then corrected; the billing cycles are written with their chunk.
SELECT usage_archive.add_source('whole_sl', 'starlink');
SELECT usage_archive.add_source('chunked_sl', 'starlink');
SELECT run_scenario('8 starlink first load', 'whole_sl', 65536, starlink_payload(5, 20)::text);
SELECT run_scenario('8 starlink first load', 'chunked_sl', 7, starlink_payload(5, 20)::text);
SELECT run_scenario('9 starlink corrected', 'whole_sl', 65536, starlink_payload(5, 20, bump => 1)::text);
SELECT run_scenario('9 starlink corrected', 'chunked_sl', 7, starlink_payload(5, 20, bump => 1)::text);
-- Both sources' cycles alike: as many distinct cycles over both as each has.
SELECT count(*) FILTER (WHERE l.source = 'whole_sl') AS whole_cycles,
       count(*) FILTER (WHERE l.source = 'chunked_sl') AS chunked_cycles,
       count(DISTINCT (l.service_line_number, b.cycle_start, b.cycle_end, b.covered_through, b.reported_days,
                       b.total_standard_gb, b.usage_limit_gb)) AS distinct_cycles
FROM usage_archive.billing_cycles b JOIN usage_archive.service_lines l USING (service_line_id)
WHERE l.source IN ('whole_sl', 'chunked_sl');

SELECT scenario, mode, inserted, updated, unchanged, skipped, collapsed, tuples_inserted, tuples_updated,
       corrections, state
FROM scenario_result ORDER BY scenario, mode DESC;
-- Counters, audit rows and the archive's state are the same both ways: no row here.
SELECT w.scenario FROM scenario_result w JOIN scenario_result c USING (scenario)
WHERE w.mode = 'whole' AND c.mode = 'chunked'
  AND (w.inserted, w.updated, w.unchanged, w.skipped, w.collapsed, w.corrections, w.state)
      IS DISTINCT FROM (c.inserted, c.updated, c.unchanged, c.skipped, c.collapsed, c.corrections, c.state);
-- Row versions written are the same too, but where a day this run inserted comes again with
-- another value in a later chunk: the inserted row is then overwritten (one more version).
SELECT w.scenario, c.tuples_updated - w.tuples_updated AS extra_versions
FROM scenario_result w JOIN scenario_result c USING (scenario)
WHERE w.mode = 'whole' AND c.mode = 'chunked'
  AND (w.tuples_inserted, w.tuples_updated) IS DISTINCT FROM (c.tuples_inserted, c.tuples_updated)
ORDER BY 1;
SELECT count(*) AS scenarios_run FROM scenario_result;
