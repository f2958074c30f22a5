# archive_usage against the mock vendor API: pages are fetched concurrently up to
# usage_archive.max_concurrent_requests; a cancelled or timed-out fetch returns promptly and
# writes nothing; the client secret and tokens reach no log, error or pg_stat_activity.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use IPC::Run;
use MockApi;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $mock = MockApi->start('--lines', '40');
my $node = PostgreSQL::Test::Cluster->new('http');
$node->init;
$node->append_conf('postgresql.conf', q{
log_min_messages = debug1
log_error_verbosity = verbose
log_min_error_statement = error
});
$node->start;
my $port = $mock->port;
# The test framework logs every statement; this one carries the secret, so it is kept out of
# the log the way docs/sql-reference.md advises (or pass the secret as a bind parameter).
$node->safe_psql('postgres', qq{
    CREATE EXTENSION usage_archive;
    SET log_statement = 'none';
    SELECT usage_archive.add_source('mock', 'starlink',
        base_url => 'http://127.0.0.1:$port/api', token_url => 'http://127.0.0.1:$port/api/auth/connect/token',
        client_id => 'test-client', client_secret => 'test-secret', options => '{"page_limit": 5}');
});
my $rows = q{SELECT count(*) FROM usage_archive.daily_usage_history};
my $runs = q{SELECT count(*) FROM usage_archive.archive_runs};

# Starts archive_usage in the background; returns the harness, and its output refs.
sub start_archive {
    my ($sql) = @_;
    my ($out, $err) = ('', '');
    my $timer = IPC::Run::timeout(30);
    my $h = IPC::Run::start([ 'psql', '-XAt', '-d', $node->connstr('postgres'), '-c', $sql ],
        '>', \$out, '2>', \$err, $timer);
    return ($h, \$out, \$err, $timer);
}

sub wait_for_fetch {
    $node->poll_query_until('postgres',
        q{SELECT count(*) = 1 FROM pg_stat_activity WHERE query LIKE '%archive_usage(%' AND state = 'active' AND pid <> pg_backend_pid()})
      or die 'the archive run did not start';
}

# Concurrency: 40 lines at 5 per page are 8 pages; page 0 first, then the rest at once.
$mock->control(latency_ms => 50);
$node->safe_psql('postgres', q{SET usage_archive.max_concurrent_requests = 1; SELECT usage_archive.archive_usage('mock')});
is($mock->stats->{peak_in_flight}, 1, 'max_concurrent_requests = 1: one request at a time');
$mock->reset;
$mock->control(latency_ms => 50);
$node->safe_psql('postgres', q{SET usage_archive.max_concurrent_requests = 4; SELECT usage_archive.archive_usage('mock')});
cmp_ok($mock->stats->{peak_in_flight}, '>=', 3, 'max_concurrent_requests = 4: pages fetched concurrently');
is($node->safe_psql('postgres', q{SELECT http_requests FROM usage_archive.archive_runs ORDER BY run_id DESC LIMIT 1}),
    '9', 'a token request and eight page requests');
# A backend keeps its token for the next runs.
is($node->safe_psql('postgres', q{
    DO $$ BEGIN PERFORM usage_archive.archive_usage('mock'); PERFORM usage_archive.archive_usage('mock'); END $$;
    SELECT string_agg(http_requests::text, ',' ORDER BY run_id) FROM (
        SELECT run_id, http_requests FROM usage_archive.archive_runs ORDER BY run_id DESC LIMIT 2) r}),
    '9,8', 'the second run of a session reuses the token');
$mock->reset;
$node->safe_psql('postgres', q{TRUNCATE usage_archive.daily_usage_history, usage_archive.usage_corrections, usage_archive.archive_runs});


# A hung API, cancelled with pg_cancel_backend: returns long before the API answers.
$mock->control(hang_ms => 60000);
my ($h, $out, $err, $timer) = start_archive(q{SELECT * FROM usage_archive.archive_usage('mock')});
wait_for_fetch();
my $activity = $node->safe_psql('postgres',
    q{SELECT string_agg(query, ' ') FROM pg_stat_activity WHERE query LIKE '%archive_usage(%' AND pid <> pg_backend_pid()});
unlike($activity, qr/test-secret|Bearer/, 'pg_stat_activity shows no secret or token');
my $cancelled_at = time;
$node->safe_psql('postgres',
    q{SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE '%archive_usage(%' AND pid <> pg_backend_pid()});
eval { $h->finish };
ok(!$timer->is_expired, 'the cancelled run returned (the API would have taken 60 s)');
note(sprintf('cancel took %.2f s', time - $cancelled_at));
like($$err, qr/canceling statement due to user request/, 'cancel error');
is($node->safe_psql('postgres', $rows), '0', 'the cancelled run wrote no rows');
is($node->safe_psql('postgres', $runs), '0', 'and left no run row');

# statement_timeout stops a fetch the same way.
($h, $out, $err, $timer) = start_archive(q{SET statement_timeout = '1s'; SELECT * FROM usage_archive.archive_usage('mock')});
eval { $h->finish };
ok(!$timer->is_expired, 'statement_timeout ended the run');
like($$err, qr/canceling statement due to statement timeout/, 'statement timeout error');
$mock->reset;

# Failures and retries with debug logging on: neither the secret nor a token is logged.
$mock->control(status_sequence => [ 429, 500 ], retry_after => 0);
$node->safe_psql('postgres', q{SELECT usage_archive.archive_usage('mock')});
$mock->control(expire_tokens_now => JSON::PP::true);
$node->safe_psql('postgres', q{SELECT usage_archive.archive_usage('mock')});
$mock->control(status_sequence => [422]);
my ($ret, $stdout, $stderr) = $node->psql('postgres', q{SELECT usage_archive.archive_usage('mock')});
like($stderr, qr/HTTP 422 .*Failed to query data usage/, 'a failing run reports the API error');
unlike($stderr, qr/test-secret|Bearer/, 'the error names no secret or token');
my $log = slurp_file($node->logfile);
unlike($log, qr/test-secret/, 'the server log never shows the client secret');
unlike($log, qr/Bearer|access_token/, 'the server log never shows a token');

$node->stop;
$mock->stop;
done_testing();
