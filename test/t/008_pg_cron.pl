# Scheduling with pg_cron (Debian's postgresql-15-cron) next to the background worker: an
# archive of the mock API every minute, a second one that fails, and a quality check that
# reports the failures. cron.job_run_details and archive_runs tell the same story.
use strict;
use warnings;
use FindBin;
use JSON::PP;
use lib $FindBin::RealBin;
use MockApi;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use WorkerNode;

my $mock = MockApi->start('--lines', '20');
my $port = $mock->port;
# Today's and yesterday's partial values stay as they are between the runs.
$mock->control(freeze_revision => JSON::PP::true);
my $node = WorkerNode->start('cron', qq{
shared_preload_libraries = 'pg_cron,usage_archive'
cron.database_name = 'postgres'
cron.use_background_workers = on
});
WorkerNode::wait_for_workers($node);
WorkerNode::create_with_mock_source($node, $port);

# Before pg_cron is created in the database: a clear error.
my ($ret, $out, $err) = $node->psql('postgres', q{SELECT usage_archive.schedule_archive('mock', '* * * * *')});
like($err, qr/pg_cron is not installed in this database/, 'scheduling without pg_cron says what is missing');

$node->safe_psql('postgres', qq{
    CREATE EXTENSION pg_cron;
    SELECT usage_archive.add_source('broken', 'starlink',
        base_url => 'http://127.0.0.1:$port/no-such-api', token_url => 'http://127.0.0.1:$port/api/auth/connect/token',
        client_id => 'test-client', client_secret => 'test-secret');
});

# Scheduling twice replaces the job (same name), it does not add one.
my $job = $node->safe_psql('postgres', q{SELECT usage_archive.schedule_archive('mock', '*/5 * * * *')});
my $again = $node->safe_psql('postgres', q{SELECT usage_archive.schedule_archive('mock', '* * * * *', 1)});
is($again, $job, 'scheduling again keeps the job id');
is($node->safe_psql('postgres', q{SELECT string_agg(jobname || ' ' || schedule || ' ' || command, ';') FROM cron.job}),
    q{usage_archive archive mock * * * * * SELECT * FROM usage_archive.archive_usage('mock', 1)},
    'one job, with the new schedule');
my $broken = $node->safe_psql('postgres', q{SELECT usage_archive.schedule_archive('broken', '* * * * *', 0)});
my $check = $node->safe_psql('postgres',
    q{SELECT usage_archive.schedule_quality_check('* * * * *', 'warning', 'broken')});

# Two minutes: the mock archive succeeds twice, the broken one fails, the quality check fails
# once it sees the failed runs.
$node->poll_query_until('postgres', qq{
    SELECT count(*) >= 2 FROM cron.job_run_details WHERE jobid = $job AND status = 'succeeded'})
  or die 'the scheduled archive did not run twice';
$node->poll_query_until('postgres', qq{
    SELECT count(*) >= 1 FROM cron.job_run_details WHERE jobid = $check AND status = 'failed'
       AND return_message LIKE '%failed_runs%'})
  or die 'the scheduled quality check did not fail on the failed runs';

my $runs = $node->safe_psql('postgres', q{
    SELECT string_agg(format('%s/%s/%s', inserted, updated, unchanged), ' ' ORDER BY run_id)
    FROM (SELECT * FROM usage_archive.archive_runs WHERE source = 'mock' AND status = 'succeeded'
          ORDER BY run_id LIMIT 2) r});
like($runs, qr{^[1-9]\d*/0/0 0/0/[1-9]\d*$}, "the first scheduled run inserted, the next one is all unchanged ($runs)");
is($node->safe_psql('postgres', q{SELECT count(*) > 0 FROM usage_archive.archive_runs
                                  WHERE source = 'mock' AND entry_point = 'archive_usage' AND invoked_by = current_user}),
   't', 'the runs are in the run log, as the role that scheduled them');
like($node->safe_psql('postgres', qq{SELECT return_message FROM cron.job_run_details WHERE jobid = $broken
                                      AND status = 'failed' ORDER BY runid LIMIT 1}),
     qr/HTTP 404/, 'cron.job_run_details has the failed archive\'s error');
like($node->safe_psql('postgres', q{SELECT status || ' ' || sqlstate FROM usage_archive.archive_runs
                                    WHERE source = 'broken' ORDER BY run_id LIMIT 1}),
     qr/^failed 38000$/, 'and the run log has the failed run (the worker logs it durably)');
is($node->safe_psql('postgres', q{SELECT check_name || ' ' || observed::int::text FROM usage_archive.check_data_quality('broken')
                                  WHERE check_name = 'failed_runs'}) =~ /^failed_runs [1-9]/ ? 1 : 0,
   1, 'check_data_quality reports the failed runs');

# Unscheduling removes exactly the named jobs.
is($node->safe_psql('postgres', q{SELECT usage_archive.unschedule('broken')}), 't', 'unschedule an archive');
is($node->safe_psql('postgres', q{SELECT usage_archive.unschedule('broken', 'quality_check')}), 't',
    'unschedule a quality check');
is($node->safe_psql('postgres', q{SELECT usage_archive.unschedule('broken')}), 'f', 'unscheduling again: false');
is($node->safe_psql('postgres', q{SELECT string_agg(jobname, ',') FROM cron.job}), 'usage_archive archive mock',
    'the other job stays');

$node->stop;
$mock->stop;
done_testing();
