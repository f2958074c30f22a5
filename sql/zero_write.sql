-- Unchanged data costs no write: re-archiving the same payload adds no row version, no dead
-- tuple and no WAL in proportion to the rows; a 1% correction writes about 1%.
SELECT usage_archive.add_source('zero', 'starlink');
CREATE TEMP TABLE zpayload AS SELECT starlink_payload(200, 100, prefix => 'ZW-')::text AS body;  -- 20,000 records

SELECT inserted, updated, unchanged FROM usage_archive.archive_payload('zero', (SELECT body FROM zpayload));
-- The first read of freshly written rows sets hint bits (WAL-logged when data checksums are
-- on); any reader would, so do it before measuring.
SELECT count(*) > 0 AS read FROM usage_archive.daily_usage_history;
SELECT count(*) > 0 AS read FROM usage_archive.service_lines;
SELECT pg_stat_force_next_flush();

CREATE FUNCTION history_stats(OUT ins bigint, OUT upd bigint, OUT dead bigint, OUT hot bigint)
LANGUAGE sql AS $$
  SELECT sum(n_tup_ins)::bigint, sum(n_tup_upd)::bigint, sum(n_dead_tup)::bigint, sum(n_tup_hot_upd)::bigint
  FROM pg_stat_user_tables  -- the history's partitions hold its rows
  WHERE relid IN (SELECT relid FROM pg_partition_tree('usage_archive.daily_usage_history')) $$;

SELECT ins, upd, dead FROM history_stats() \gset before_
SELECT pg_current_wal_insert_lsn() AS lsn_before \gset
SELECT inserted, updated, unchanged FROM usage_archive.archive_payload('zero', (SELECT body FROM zpayload));
SELECT pg_current_wal_insert_lsn() AS lsn_after \gset
SELECT pg_stat_force_next_flush();
SELECT ins - :before_ins AS tuples_inserted, upd - :before_upd AS tuples_updated, dead - :before_dead AS dead_tuples_added,
       pg_wal_lsn_diff(:'lsn_after', :'lsn_before') < 8192 AS wal_is_a_small_constant,
       pg_wal_lsn_diff(:'lsn_after', :'lsn_before') / 20000.0 < 1 AS under_one_wal_byte_per_record
FROM history_stats();

-- 1% corrected: 200 of 20,000 records change (day 0 of every line).
UPDATE zpayload SET body = (
  SELECT jsonb_set(p, '{content,results}', (
    SELECT jsonb_agg(jsonb_set(r, '{billingCycles,0,dailyDataUsage,0,standardGB}',
                               to_jsonb((r #>> '{billingCycles,0,dailyDataUsage,0,standardGB}')::numeric + 2)))
    FROM jsonb_array_elements(p -> 'content' -> 'results') r))::text
  FROM (SELECT body::jsonb AS p FROM zpayload) s);
SELECT ins, upd, dead FROM history_stats() \gset before_
SELECT inserted, updated, unchanged FROM usage_archive.archive_payload('zero', (SELECT body FROM zpayload));
SELECT pg_stat_force_next_flush();
-- (WAL for these 200 updates depends on checkpoint timing through full-page images; the
-- benchmark measures it. Here: exactly the changed rows were written.)
SELECT ins - :before_ins AS tuples_inserted, upd - :before_upd AS tuples_updated, dead - :before_dead AS dead_tuples_added
FROM history_stats();
SELECT count(*) AS corrections FROM usage_archive.usage_corrections c
JOIN usage_archive.service_lines l USING (service_line_id) WHERE l.source = 'zero';
