-- Operate it: what the API covered (billing_cycles), every data-quality check with data that
-- triggers it and data that does not, assert_data_quality, the reports.
SELECT usage_archive.add_source('dq', 'starlink');

-- A starlink page for one line, and a billing cycle of it: day i of the cycle uses gbs[i]
-- (standard GB; NULL: the API omits the day). The totals are the days' sums unless given.
CREATE FUNCTION dq_payload(line text, limit_gb numeric, last_updated text, VARIADIC cycles jsonb[]) RETURNS jsonb
LANGUAGE sql AS $$
    SELECT jsonb_build_object('isValid', true, 'errors', '[]'::jsonb, 'content', jsonb_build_object(
        'pageIndex', 0, 'isLastPage', true, 'totalCount', 1, 'results', jsonb_build_array(jsonb_build_object(
            'serviceLineNumber', line, 'accountNumber', 'ACC-' || line, 'lastUpdated', last_updated,
            'servicePlan', jsonb_build_object('usageLimitGB', limit_gb), 'billingCycles', to_jsonb(cycles)))))
$$;
CREATE FUNCTION dq_cycle(start_day date, end_day date, gbs numeric[], total_standard numeric DEFAULT NULL) RETURNS jsonb
LANGUAGE sql AS $$
    SELECT jsonb_build_object('startDate', to_char(start_day, 'YYYY-MM-DD"T00:00:00Z"'),
        'endDate', to_char(end_day, 'YYYY-MM-DD"T00:00:00Z"'),
        'dailyDataUsage', coalesce(jsonb_agg(jsonb_build_object('date', to_char(start_day + i - 1, 'YYYY-MM-DD'),
            'priorityGB', 0, 'optInPriorityGB', 0, 'standardGB', gbs[i], 'nonBillableGB', 0) ORDER BY i)
            FILTER (WHERE gbs[i] IS NOT NULL), '[]'),
        'totalPriorityGB', 0, 'totalStandardGB', coalesce(total_standard, (SELECT sum(g) FROM unnest(gbs) g)),
        'totalOptInPriorityGB', 0, 'totalNonBillableGB', 0)
    FROM generate_series(1, cardinality(gbs)) i
$$;
-- 30 days of 10 GB with day 5 omitted (a zero day), then the current cycle up to day 20.
CREATE FUNCTION dq_september(day5 numeric DEFAULT NULL) RETURNS jsonb LANGUAGE sql AS $$
    SELECT dq_cycle('2025-09-01', '2025-09-30', array_fill(10::numeric, ARRAY[4]) || day5 || array_fill(10::numeric, ARRAY[25]))
$$;
CREATE FUNCTION dq_october(day3 numeric DEFAULT 10) RETURNS jsonb LANGUAGE sql AS $$
    SELECT dq_cycle('2025-10-01', '2025-10-30', ARRAY[10, 10, day3] || array_fill(10::numeric, ARRAY[17]))
$$;

-- Clean data: what the API covered is recorded; no check finds anything.
SELECT inserted, updated, unchanged FROM usage_archive.archive_payload('dq',
    dq_payload('DQ-1', 1000, '2025-10-20T06:00:00Z', dq_september(), dq_october()));
SELECT l.service_line_number, b.cycle_start, b.cycle_end, b.covered_through, cardinality(b.reported_days) AS listed,
       b.total_standard_gb, b.usage_limit_gb
FROM usage_archive.billing_cycles b JOIN usage_archive.service_lines l USING (service_line_id)
WHERE l.source = 'dq' ORDER BY 1, 2;
SELECT * FROM usage_archive.check_data_quality('dq', '2025-08-01');
-- An identical re-run writes nothing, billing cycles included.
SELECT b.xmin AS cycle_version FROM usage_archive.billing_cycles b JOIN usage_archive.service_lines l USING (service_line_id)
WHERE l.source = 'dq' ORDER BY cycle_start LIMIT 1 \gset
SELECT unchanged FROM usage_archive.archive_payload('dq',
    dq_payload('DQ-1', 1000, '2025-10-20T06:00:00Z', dq_september(), dq_october()));
SELECT b.xmin = :'cycle_version' AS cycle_not_rewritten
FROM usage_archive.billing_cycles b JOIN usage_archive.service_lines l USING (service_line_id)
WHERE l.source = 'dq' ORDER BY cycle_start LIMIT 1;

-- missing_days: October 3 was reported (10 GB) and a later report omits it; September 5 was
-- never reported (a zero day, not a finding). And November was never covered: the next
-- cycle starts in December, so October 21..November 30 is a gap.
SELECT updated, unchanged FROM usage_archive.archive_payload('dq',
    dq_payload('DQ-1', 1000, '2025-10-20T06:00:00Z', dq_october(day3 => NULL)));
SELECT inserted FROM usage_archive.archive_payload('dq',
    dq_payload('DQ-1', 1000, '2025-12-05T06:00:00Z', dq_cycle('2025-12-01', '2025-12-30', ARRAY[10, 10, 10, 10, 10]::numeric[])));
SELECT check_name, severity, service_line_number, period_start, period_end, observed, expected, detail ->> 'reason' AS reason
FROM usage_archive.check_data_quality('dq', '2025-08-01') ORDER BY period_start;
-- The day comes back: the finding is gone.
SELECT updated FROM usage_archive.archive_payload('dq', dq_payload('DQ-1', 1000, '2025-10-20T06:00:00Z', dq_october()));
SELECT count(*) AS missing_day_findings FROM usage_archive.check_data_quality('dq', '2025-08-01')
WHERE check_name = 'missing_days' AND detail ->> 'reason' LIKE 'archived%';
-- Findings before `since` are not looked at.
SELECT count(*) FROM usage_archive.check_data_quality('dq', '2025-12-01') WHERE check_name = 'missing_days';

-- cycle_total_mismatch: the API's total for a cycle says 305 GB, its days add up to 300.
-- over_plan: a 250 GB plan. A total within the tolerance (0.01 GB a listed day) is fine.
SELECT usage_archive.add_source('dq2', 'starlink');
SELECT inserted FROM usage_archive.archive_payload('dq2', dq_payload('DQ-2', 250, '2025-10-31T06:00:00Z',
    dq_cycle('2025-10-01', '2025-10-30', array_fill(10::numeric, ARRAY[30]), total_standard => 305)));
SELECT inserted FROM usage_archive.archive_payload('dq2', dq_payload('DQ-3', 1000, '2025-10-31T06:00:00Z',
    dq_cycle('2025-10-01', '2025-10-30', array_fill(10::numeric, ARRAY[30]), total_standard => 300.2)));
SELECT check_name, severity, service_line_number, period_start, period_end, observed, expected,
       detail - 'reported_by_run' AS detail
FROM usage_archive.check_data_quality('dq2', '2025-08-01') ORDER BY check_name, service_line_number;

-- usage_spike: DQ-4 uses 20 GB a day, then 61 GB (above 3 x the trailing median and the
-- 10 GB floor) and 59 GB (not above 3 x 20).
SELECT usage_archive.add_source('dq3', 'simple');
SELECT inserted FROM usage_archive.archive_payload('dq3', jsonb_build_object('DQ-4', jsonb_build_object('daily_usage',
    (SELECT jsonb_agg(jsonb_build_object('date', to_char(d, 'YYYY-MM-DD'), 'usage_gb',
         CASE d::date WHEN '2025-11-10' THEN 61 WHEN '2025-11-12' THEN 59 ELSE 20 END))
     FROM generate_series(date '2025-10-01', date '2025-11-15', interval '1 day') d))));
SELECT check_name, service_line_number, period_start, observed, expected, detail ->> 'factor' AS factor
FROM usage_archive.check_data_quality('dq3', '2025-10-01');
SET usage_archive.spike_factor = 2.5;
SELECT period_start, observed FROM usage_archive.check_data_quality('dq3', '2025-10-01') ORDER BY 1;
RESET usage_archive.spike_factor;
SET usage_archive.spike_floor_gb = 70;
SELECT count(*) AS spikes_above_70_gb FROM usage_archive.check_data_quality('dq3', '2025-10-01');
RESET usage_archive.spike_floor_gb;

-- invalid_values: rows no archive run writes (loaded by hand): opt-in above priority, and
-- consumed not priority + standard.
INSERT INTO usage_archive.daily_usage_history (service_line_id, usage_date, consumed_gb, priority_gb,
                                               opt_in_priority_gb, standard_gb, non_billable_gb)
SELECT service_line_id, d, c, p, o, s, 0
FROM usage_archive.service_lines, (VALUES ('2025-11-20'::date, 5, 2, 3, 3), ('2025-11-21', 9, 2, 1, 3),
                                          ('2025-11-22', 5, 2, 1, 3)) v(d, c, p, o, s)
WHERE service_line_number = 'DQ-4';
SELECT check_name, severity, period_start, observed, expected, detail ->> 'problem' AS problem
FROM usage_archive.check_data_quality('dq3', '2025-10-01') WHERE check_name = 'invalid_values' ORDER BY 3;

-- stale_source: a source never archived, or not within its options.max_staleness; a source
-- archived just now is not stale. failed_runs: failed runs since the last success (written
-- here by hand: without the background worker a failed call leaves no row).
SELECT usage_archive.add_source('dq_never', 'simple');
SELECT usage_archive.add_source('dq2', 'starlink', options => '{"max_staleness": "1 hour"}');
UPDATE usage_archive.archive_runs SET finished_at = now() - interval '2 hours' WHERE source = 'dq2';
INSERT INTO usage_archive.archive_runs (source, entry_point, started_at, finished_at, status, sqlstate, error)
VALUES ('dq3', 'archive_usage', clock_timestamp(), clock_timestamp(), 'failed', '38000', '38000: HTTP 503'),
       ('dq3', 'archive_usage', clock_timestamp(), clock_timestamp(), 'failed', '38000', '38000: HTTP 502');
SELECT check_name, severity, source, expected, detail ->> 'max_staleness' AS max_staleness,
       detail ->> 'last_error' AS last_error, observed AS failed
FROM usage_archive.check_data_quality()
WHERE check_name IN ('stale_source', 'failed_runs') AND source LIKE 'dq%' ORDER BY 1, 3;
SELECT usage_archive.add_source('dq_bad', 'simple', options => '{"max_staleness": "soon"}');
\echo :LAST_ERROR_SQLSTATE
SELECT usage_archive.add_source('dq_bad', 'simple', options => '{"max_staleness": "-1 hour"}');
\echo :LAST_ERROR_SQLSTATE

-- duplicate_keys: a protected legacy table that had duplicates before protection (computed
-- by the check, as no sweep has run); then as the worker's sweep would report them.
CREATE TABLE dq_legacy (line text, day date, gb numeric);
INSERT INTO dq_legacy VALUES ('L', '2025-10-01', 1), ('L', '2025-10-01', 1), ('M', '2025-10-01', 1);
DO $$ BEGIN SET LOCAL client_min_messages = error; PERFORM usage_archive.protect('dq_legacy', '{line,day}'); END $$;
SELECT check_name, severity, observed, expected, detail FROM usage_archive.check_data_quality()
WHERE check_name = 'duplicate_keys' AND detail ->> 'table' = 'public.dq_legacy';
UPDATE usage_archive_private.uniqueness_targets SET last_swept_at = now() WHERE table_name = 'dq_legacy'::regclass;
SELECT count(*) AS from_the_sweep FROM usage_archive.check_data_quality()
WHERE check_name = 'duplicate_keys' AND detail ->> 'table' = 'public.dq_legacy';
INSERT INTO usage_archive.duplicate_findings VALUES ('public.dq_legacy', '{"line": "L", "day": "2025-10-01"}', 2, now());
SELECT observed, detail ->> 'found_by' AS found_by FROM usage_archive.check_data_quality()
WHERE check_name = 'duplicate_keys' AND detail ->> 'table' = 'public.dq_legacy';
-- Checking one source leaves legacy tables out.
SELECT count(*) FROM usage_archive.check_data_quality('dq') WHERE check_name = 'duplicate_keys';

-- assert_data_quality: an error listing what reaches the severity, else the count below it
-- (its own default window: the last 90 days). dq_never is stale (an error); dq3 has failed
-- runs (a warning).
SELECT usage_archive.assert_data_quality('error', 'dq_never');
\echo :LAST_ERROR_SQLSTATE
SELECT usage_archive.assert_data_quality('error', 'dq3') AS findings_below_error;
\set VERBOSITY terse
SELECT usage_archive.assert_data_quality('warning', 'dq3');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
SELECT usage_archive.assert_data_quality('fatal');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM usage_archive.check_data_quality('nonesuch');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM usage_archive.check_data_quality(NULL, NULL);
\echo :LAST_ERROR_SQLSTATE

-- Reports: the story's monthly query on clean data, and the billing cycles against the plan.
UPDATE usage_archive.service_lines SET client_name = CASE WHEN service_line_number IN ('DQ-1', 'DQ-2') THEN 'Acme'
                                                           ELSE 'Globex' END
WHERE source LIKE 'dq%';
SELECT source, client_name, service_line_number, month, total_gb, days_reported
FROM usage_archive.monthly_usage WHERE source LIKE 'dq%' ORDER BY 1, 3, 4;
-- The story's query, on the history and on monthly_usage: the same totals.
SELECT client_name, SUM(consumed_gb) AS total_usage, COUNT(*) AS record_count
FROM usage_archive.daily_usage_history JOIN usage_archive.service_lines USING (service_line_id)
WHERE usage_date >= '2025-10-01' AND source LIKE 'dq%' GROUP BY client_name ORDER BY total_usage DESC;
SELECT client_name, sum(total_gb) AS total_usage, sum(days_reported) AS record_count
FROM usage_archive.monthly_usage WHERE month >= '2025-10-01' AND source LIKE 'dq%' GROUP BY client_name ORDER BY 2 DESC;
SELECT * FROM usage_archive.billing_cycle_usage WHERE source LIKE 'dq%' ORDER BY source, service_line_number, cycle_start;

-- pg_cron is not installed here.
SELECT usage_archive.schedule_archive('dq', '0 3 * * *');
\echo :LAST_ERROR_SQLSTATE
SELECT usage_archive.schedule_quality_check('0 4 * * *', 'bogus');
\echo :LAST_ERROR_SQLSTATE
SELECT usage_archive.schedule_archive('nonesuch', '0 3 * * *');
\echo :LAST_ERROR_SQLSTATE
-- The job names, which need no pg_cron: pg_cron keeps 63 bytes of a name, so a name that
-- would be longer ends in the md5 of the source instead (bytes, not characters: e is 2).
SELECT usage_archive.cron_job_name('fleet'), usage_archive.cron_job_name(NULL, 'quality_check');
SELECT job, length(source) AS source_chars, octet_length(source) AS source_bytes, octet_length(name) AS name_bytes,
       name = prefix || md5(source) AS ends_in_md5, name = prefix || source AS names_source
FROM (VALUES ('archive', 'usage_archive archive '), ('quality_check', 'usage_archive quality check ')) j(job, prefix)
CROSS JOIN LATERAL (VALUES (repeat('x', 63 - octet_length(prefix))), (repeat('x', 64 - octet_length(prefix))),
                           (repeat('x', 62 - octet_length(prefix)) || 'é')) s(source)
CROSS JOIN LATERAL usage_archive.cron_job_name(source, job) name
ORDER BY 1, 2, 3;
SELECT usage_archive.cron_job_name('fleet', 'nonesuch');
\echo :LAST_ERROR_SQLSTATE

SELECT usage_archive.unprotect('dq_legacy');
DROP TABLE dq_legacy;
DELETE FROM usage_archive.duplicate_findings;
DROP FUNCTION dq_payload(text, numeric, text, jsonb[]), dq_cycle(date, date, numeric[], numeric),
              dq_september(numeric), dq_october(numeric);
