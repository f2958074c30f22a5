# Secrets that never appear in SQL text, logs or dumps (a client secret file read by the
# server), errors that never quote a secret, and fetches that show what they wait for.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use IPC::Run;
use MockApi;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $mock = MockApi->start('--lines', '20');
my $port = $mock->port;
my $node = PostgreSQL::Test::Cluster->new('credentials');
$node->init;
# Every statement is logged, and every failing one with its text: the secret must still not
# appear anywhere in the log.
$node->append_conf('postgresql.conf', q{
log_statement = 'all'
log_min_error_statement = error
log_min_messages = debug1
});
$node->start;

my $secret_file = PostgreSQL::Test::Utils::tempdir() . '/fleet.secret';
open(my $fh, '>', $secret_file) or die "cannot write $secret_file: $!";
print $fh "test-secret\n";
close($fh);
chmod 0600, $secret_file;

$node->safe_psql('postgres', qq{
    CREATE EXTENSION usage_archive;
    SELECT usage_archive.add_source('fleet', 'starlink',
        base_url => 'http://127.0.0.1:$port/api', token_url => 'http://127.0.0.1:$port/api/auth/connect/token',
        client_id => 'test-client', options => '{"page_limit": 5}');
    SELECT usage_archive.set_client_secret_file('fleet', '$secret_file');
});
is($node->safe_psql('postgres',
        q{SELECT client_secret IS NULL, client_secret_file IS NOT NULL FROM usage_archive_private.source_secrets}),
    't|t', 'the secret table holds the path, not the secret');
my $runs = q{SELECT count(*) FROM usage_archive.archive_runs WHERE status = 'succeeded'};
$node->safe_psql('postgres', q{SELECT usage_archive.archive_usage('fleet')});
is($node->safe_psql('postgres', $runs), '1', 'archive_usage authenticates with the secret from the file');

# The file is read at every run: rotating the secret is rewriting the file.
open($fh, '>', $secret_file) or die;
print $fh "rotated-secret\n";
close($fh);
$mock->control(expire_tokens_now => JSON::PP::true);
my ($ret, $stdout, $stderr) = $node->psql('postgres', q{SELECT usage_archive.archive_usage('fleet')});
like($stderr, qr/token request failed: HTTP 401 .*invalid_client/, 'a rotated file is read by the next run');
open($fh, '>', $secret_file) or die;
print $fh "test-secret\n";
close($fh);
$node->safe_psql('postgres', q{SELECT usage_archive.archive_usage('fleet')});
is($node->safe_psql('postgres', $runs), '2', 'and the restored one works again');

# A file that has gone away fails the run with 58P01 and the file's name, not its content.
rename($secret_file, "$secret_file.moved") or die;
($ret, $stdout, $stderr) = $node->psql('postgres', q{SELECT usage_archive.archive_usage('fleet')},
    extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like($stderr, qr/ERROR:  58P01: .*client secret file ".*fleet\.secret" cannot be used: No such file or directory/,
    'a missing secret file is a clear error, 58P01');
rename("$secret_file.moved", $secret_file) or die;

# A dump holds the path only.
my $dump = `pg_dump -d '@{[ $node->connstr('postgres') ]}' 2>&1`;
like($dump, qr/fleet\.secret/, 'the dump has the path');
unlike($dump, qr/test-secret/, 'but not the secret');

# A token endpoint that echoes the request form: the secret reaches neither the caller nor
# the log (the failing statement and its error are logged).
$mock->control(token_echo => JSON::PP::true, expire_tokens_now => JSON::PP::true);
($ret, $stdout, $stderr) = $node->psql('postgres', q{SELECT usage_archive.archive_usage('fleet')});
like($stderr, qr/HTTP 400 .*\(no OAuth error in the response\)/, 'the echoing token endpoint fails the run');
unlike($stderr, qr/test-secret|client_secret=/, 'the error does not quote the echoed secret');
$mock->reset;
$mock->control(echo_authorization => JSON::PP::true);
($ret, $stdout, $stderr) = $node->psql('postgres', q{SELECT usage_archive.archive_usage('fleet')});
like($stderr, qr/Authorization: \[redacted\]/, 'an echoed Authorization header is scrubbed');
$mock->reset;

# Waits are visible: wait_event_type Extension in pg_stat_activity, and the process title
# says what the fetch of which source waits for.
sub start_archive {
    my ($sql) = @_;
    my ($out, $err) = ('', '');
    my $h = IPC::Run::start([ 'psql', '-XAt', '-d', $node->connstr('postgres'), '-c', $sql ],
        '>', \$out, '2>', \$err, IPC::Run::timeout(60));
    return ($h, \$err);
}
my $archive_backend = q{SELECT pid FROM pg_stat_activity
    WHERE query LIKE '%archive_usage(%' AND state = 'active' AND pid <> pg_backend_pid()};
sub title_of { my ($pid) = @_; return slurp_file("/proc/$pid/cmdline") =~ s/\0/ /gr }
sub wait_seen {
    my ($what) = @_;
    return $node->poll_query_until('postgres', qq{
        SELECT count(*) = 1 FROM pg_stat_activity
        WHERE query LIKE '%archive_usage(%' AND pid <> pg_backend_pid()
          AND wait_event_type = 'Extension' AND wait_event = 'Extension'});
}

$mock->control(hang_ms => 30000);
my ($h, $err) = start_archive(q{SELECT usage_archive.archive_usage('fleet')});
ok(wait_seen(), 'waiting for a response: wait_event_type Extension');
my $pid = $node->safe_psql('postgres', $archive_backend);
like(title_of($pid), qr/usage_archive fleet: waiting for the API/, 'the process title says what it waits for');
$node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
eval { $h->finish };
like($$err, qr/canceling statement due to user request/, 'the waiting fetch was cancelled');
$mock->reset;

$mock->control(status_sequence => [ 503 ], retry_after => 30);
($h, $err) = start_archive(q{SELECT usage_archive.archive_usage('fleet')});
ok(wait_seen(), 'waiting to retry: wait_event_type Extension');
$pid = $node->safe_psql('postgres', $archive_backend);
like(title_of($pid), qr/usage_archive fleet: waiting to retry/, 'the process title says it waits to retry');
$node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
eval { $h->finish };
like($$err, qr/canceling statement due to user request/, 'the backoff was cancelled');
$mock->reset;

# After the fetch the backend's title is the statement's own again.
($h, $err) = start_archive(q{DO $$ BEGIN PERFORM usage_archive.archive_usage('fleet'); PERFORM pg_sleep(30); END $$});
$node->poll_query_until('postgres', q{SELECT count(*) = 1 FROM pg_stat_activity WHERE wait_event = 'PgSleep'})
  or die 'the run did not finish';
$pid = $node->safe_psql('postgres', q{SELECT pid FROM pg_stat_activity WHERE wait_event = 'PgSleep'});
my $title = title_of($pid);
unlike($title, qr/usage_archive/, 'the title is restored after the fetch');
like($title, qr/ DO\s*$/, '... to the statement it belongs to');
$node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
eval { $h->finish };

my $log = slurp_file($node->logfile);
like($log, qr/set_client_secret_file/, 'statements were logged');
unlike($log, qr/test-secret|rotated-secret/, 'the server log never shows the secret');
unlike($log, qr/Bearer [0-9a-f]/, 'nor a token');

$node->stop;
$mock->stop;
done_testing();
