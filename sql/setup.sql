-- Payload generators shared by the regression tests: deterministic API response bodies,
-- built in SQL so every test states its data where it uses it.

-- Values depend on the line and the calendar day only, so overlapping ranges carry the same
-- value for the same day, as the API does for final days.
CREATE FUNCTION day_number(day date) RETURNS int LANGUAGE sql IMMUTABLE
AS $$ SELECT (day - date '2025-01-01') % 100 $$;

-- The starlink V2 data-usage envelope: `lines` service lines x `days` days from first_day,
-- in one billing cycle, standardGB raised by `bump` on every day.
CREATE FUNCTION starlink_payload(lines int, days int, first_day date DEFAULT '2025-10-01',
                                 bump numeric DEFAULT 0, prefix text DEFAULT 'AST-')
RETURNS jsonb LANGUAGE sql AS $$
SELECT jsonb_build_object(
    'isValid', true, 'errors', '[]'::jsonb, 'warnings', '[]'::jsonb, 'information', '[]'::jsonb,
    'content', jsonb_build_object(
        'pageIndex', 0, 'limit', 50, 'isLastPage', true, 'totalCount', lines,
        'results', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                'accountNumber', 'ACC-' || l,
                'serviceLineNumber', prefix || l,
                'servicePlan', jsonb_build_object('productId', 'plan', 'usageLimitGB', 1024.0),
                'billingCycles', jsonb_build_array(jsonb_build_object(
                    'startDate', to_char(first_day, 'YYYY-MM-DD"T00:00:00Z"'),
                    'endDate', to_char(first_day + days - 1, 'YYYY-MM-DD"T00:00:00Z"'),
                    'dailyDataUsage', (
                        SELECT jsonb_agg(jsonb_build_object(
                            'date', to_char(first_day + d, 'YYYY-MM-DD"T00:00:00Z"'),
                            'priorityGB', round(l * 0.1 + day_number(first_day + d) * 0.01, 2),
                            'optInPriorityGB', 0.05,
                            'standardGB', round(l + day_number(first_day + d) * 0.5 + bump, 2),
                            'nonBillableGB', 0.0) ORDER BY d)
                        FROM generate_series(0, days - 1) AS d))))
                ORDER BY l)
            FROM generate_series(1, lines) AS l), '[]'::jsonb)));
$$;

-- The story's simple shape: {"<line>": {"daily_usage": [{"date", "usage_gb"}]}}.
CREATE FUNCTION simple_payload(lines int, days int, first_day date DEFAULT '2025-10-01',
                               bump numeric DEFAULT 0, prefix text DEFAULT 'SL-')
RETURNS jsonb LANGUAGE sql AS $$
SELECT coalesce(jsonb_object_agg(prefix || l, jsonb_build_object('daily_usage', (
    SELECT jsonb_agg(jsonb_build_object('date', to_char(first_day + d, 'YYYY-MM-DD'),
                                        'usage_gb', round(l * 10 + day_number(first_day + d) * 0.25 + bump, 2)) ORDER BY d)
    FROM generate_series(0, days - 1) AS d))), '{}'::jsonb)
FROM generate_series(1, lines) AS l;
$$;

SELECT jsonb_pretty(starlink_payload(1, 2));
SELECT simple_payload(2, 2);
