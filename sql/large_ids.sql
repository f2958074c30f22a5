-- Service line ids at and beyond 2^44. The identity column accepts explicit ids (a user who
-- migrated lines from another system keeps theirs), and a write batch once packed
-- (id << 20 | day) into one 64-bit key: ids n and 2^44 + n then had the same key, and one
-- of the two lines' days was counted and written as the other's.
SELECT usage_archive.add_source('big_ids', 'simple');
INSERT INTO usage_archive.service_lines (service_line_id, source, service_line_number) VALUES
    (1000001, 'big_ids', 'small-id'),
    ((2::numeric ^ 44)::bigint + 1000001, 'big_ids', 'large-id'),
    (9223372036854775807, 'big_ids', 'largest-id'),
    (-5, 'big_ids', 'negative-id');
-- The same two days for every line: eight distinct keys.
SELECT inserted, updated, unchanged, skipped, collapsed FROM usage_archive.archive_payload('big_ids', '{
  "small-id":    {"daily_usage": [{"date": "2025-10-01", "usage_gb": 1}, {"date": "2025-10-02", "usage_gb": 2}]},
  "large-id":    {"daily_usage": [{"date": "2025-10-01", "usage_gb": 3}, {"date": "2025-10-02", "usage_gb": 4}]},
  "largest-id":  {"daily_usage": [{"date": "2025-10-01", "usage_gb": 5}, {"date": "2025-10-02", "usage_gb": 6}]},
  "negative-id": {"daily_usage": [{"date": "2025-10-01", "usage_gb": 7}, {"date": "2025-10-02", "usage_gb": 8}]}
}'::jsonb);
SELECT l.service_line_number, h.service_line_id, to_char(h.usage_date, 'YYYY-MM-DD') AS day, h.consumed_gb
FROM usage_archive.daily_usage_history h JOIN usage_archive.service_lines l USING (service_line_id)
WHERE l.source = 'big_ids' ORDER BY h.service_line_id, h.usage_date;
-- Re-run: all unchanged; then one value of the large id changes, and only that row updates.
SELECT inserted, updated, unchanged FROM usage_archive.archive_payload('big_ids', '{
  "small-id":    {"daily_usage": [{"date": "2025-10-01", "usage_gb": 1}, {"date": "2025-10-02", "usage_gb": 2}]},
  "large-id":    {"daily_usage": [{"date": "2025-10-01", "usage_gb": 3}, {"date": "2025-10-02", "usage_gb": 4}]},
  "largest-id":  {"daily_usage": [{"date": "2025-10-01", "usage_gb": 5}, {"date": "2025-10-02", "usage_gb": 6}]},
  "negative-id": {"daily_usage": [{"date": "2025-10-01", "usage_gb": 7}, {"date": "2025-10-02", "usage_gb": 8}]}
}'::jsonb);
SELECT inserted, updated, unchanged FROM usage_archive.archive_payload('big_ids', '{
  "small-id":    {"daily_usage": [{"date": "2025-10-01", "usage_gb": 1}, {"date": "2025-10-02", "usage_gb": 2}]},
  "large-id":    {"daily_usage": [{"date": "2025-10-01", "usage_gb": 3}, {"date": "2025-10-02", "usage_gb": 40}]}
}'::jsonb);
SELECT l.service_line_number, to_char(h.usage_date, 'YYYY-MM-DD') AS day, h.consumed_gb
FROM usage_archive.daily_usage_history h JOIN usage_archive.service_lines l USING (service_line_id)
WHERE l.source = 'big_ids' AND l.service_line_number IN ('small-id', 'large-id') ORDER BY 1, 2;
