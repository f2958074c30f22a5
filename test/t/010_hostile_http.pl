# archive_usage against a hostile API (issue 12, item 2): a body that never ends, one byte a
# second, compression bombs, 10 MB of headers, broken chunked encoding, redirects to file://,
# to another host and to private addresses, TLS with an untrusted certificate, a token
# endpoint that answers HTML. Each run ends with a clear 38000 error within the configured
# limits, writes nothing, and is logged as failed (durably: the background worker is
# preloaded). All traffic stays on 127.0.0.1; a refused redirect never opens a connection,
# which listeners nobody else knows about prove.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use IO::Socket::INET;
use MockApi;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use WorkerNode;

my $mock = MockApi->start('--lines', '20');
my $port = $mock->port;
my $node = WorkerNode->start('hostile');
ok(WorkerNode::wait_for_workers($node), 'the worker runs');
WorkerNode::create_with_mock_source($node, $port);

# An honest run first, so "nothing written" is checked against an archive that has rows.
$node->safe_psql('postgres', q{SELECT usage_archive.archive_usage('mock')});
my $snapshot_sql = q{
    SELECT (SELECT count(*) || '/' || coalesce(sum(consumed_gb), 0) || '/' || coalesce(max(updated_at)::text, '')
            FROM usage_archive.daily_usage_history)
        || '/' || (SELECT count(*) FROM usage_archive.service_lines)
        || '/' || (SELECT count(*) FROM usage_archive.usage_corrections)
        || '/' || (SELECT count(*) FROM usage_archive.billing_cycles)};
my $archive = $node->safe_psql('postgres', $snapshot_sql);
like($archive, qr/^[1-9]\d*\//, 'the honest run archived rows');

# Small limits, so a hostile answer that honoured none would show.
my $limits = q{
    SET usage_archive.request_timeout_ms = '3s';
    SET usage_archive.connect_timeout_ms = '2s';
    SET usage_archive.max_response_bytes = '1MB';
    SET usage_archive.max_retries = 0;
};
my $url = qr{http://127\.0\.0\.1:$port};
my $page0 = qr{POST $url/api/public/v2/data-usage/query\?page=0&limit=10};
my $token = qr{POST $url/api/auth/connect/token};

# Runs archive_usage('$source') with the limits (and `settings`); checks it fails with 38000
# and `message` (after 'source "<source>": ') within `seconds`, that nothing was written and
# that the run is logged as failed with the same error. Returns the run's archive_runs row.
my $hostile_runs = 0;

sub hostile_run {
    my (%t) = @_;
    ++$hostile_runs;
    my $source = $t{source} // 'mock';
    my $name = $t{name};
    my $before = $node->safe_psql('postgres', q{SELECT coalesce(max(run_id), 0) FROM usage_archive.archive_runs});
    my $started = time;
    my ($ret, $stdout, $stderr) = $node->psql('postgres',
        $limits . ($t{settings} // '') . "SELECT usage_archive.archive_usage('$source')",
        extra_params => [ '-v', 'VERBOSITY=verbose' ]);
    my $elapsed = time - $started;
    note(sprintf('%s: %.2f s', $name, $elapsed));
    isnt($ret, 0, "$name: the call fails");
    like($stderr, qr/ERROR:  38000: source "$source": $t{message}/, "$name: a clear error")
      or diag($stderr);
    cmp_ok($elapsed, '<', $t{seconds}, "$name: within the limits ($t{seconds} s)");
    cmp_ok($elapsed, '>=', $t{at_least}, "$name: not before the limit") if $t{at_least};
    is($node->safe_psql('postgres', $snapshot_sql), $archive, "$name: nothing written");
    $node->poll_query_until('postgres',
        qq{SELECT count(*) = 1 FROM usage_archive.archive_runs WHERE run_id > $before AND status <> 'running'})
      or die "$name: no finished run row";
    my $run = $node->safe_psql('postgres', qq{
        SELECT status || '|' || sqlstate || '|' || error || '|' || http_requests || '|' || bytes_received
        FROM usage_archive.archive_runs WHERE run_id > $before});
    like($run, qr/^failed\|38000\|38000: source "$source": $t{message}/, "$name: logged as failed with its error");
    return $run;
}

# A listener on 127.0.0.x that nothing but a followed redirect could reach: after the run,
# a non-blocking accept shows whether anything connected.
sub tripwire {
    my ($address) = @_;
    my $socket = IO::Socket::INET->new(LocalAddr => $address, LocalPort => 0, Listen => 5, Proto => 'tcp')
      or die "cannot listen on $address: $!";
    $socket->blocking(0);
    return $socket;
}

# ---- bodies and headers -------------------------------------------------------------------

$mock->reset;
$mock->control(endless_body => JSON::PP::true);
my $run = hostile_run(name => 'a body that never ends', seconds => 8,
    message => qr/response too large: $page0: more than 1048576 bytes \(usage_archive\.max_response_bytes\)/);
my ($bytes) = $run =~ /\|(\d+)$/;
cmp_ok($bytes, '>=', 1_000_000, 'the run log counts the bytes the endless body sent');

$mock->reset;
$mock->control(slowloris_ms => 1000);
hostile_run(name => 'one byte a second', seconds => 3 + 4, at_least => 2.5,
    message => qr/timeout: $page0: no complete response within usage_archive\.request_timeout_ms \(3000 ms\)/);

for my $encoding ('gzip', 'deflate') {
    $mock->reset;
    $mock->control(compression_bomb => { encoding => $encoding });    # 10 GiB once inflated
    hostile_run(name => "a $encoding bomb", seconds => 8,
        message => qr/response too large: $page0: more than 1048576 bytes \(usage_archive\.max_response_bytes\)/);
}

$mock->reset;
$mock->control(huge_headers_bytes => 10_000_000);
hostile_run(name => '10 MB of headers', seconds => 8,
    message => qr/response too large: $page0: more than 262144 bytes of response headers/);

$mock->reset;
$mock->control(broken_chunked => 'bad_size');
hostile_run(name => 'a chunk size that is no number', seconds => 8,
    message => qr/request failed: $page0: Illegal or missing hexadecimal sequence in chunked-encoding/);
$mock->reset;
$mock->control(broken_chunked => 'cut');
hostile_run(name => 'chunks cut off', seconds => 8,
    message => qr/request failed: $page0: transfer closed with outstanding read data remaining/);

# Bytes of no encoding in an error body: quoted as valid, printable UTF-8 (the run log's
# error column and the client's message could take nothing else).
$mock->reset;
$mock->control(garbage_error => JSON::PP::true);
hostile_run(name => 'an error body of invalid UTF-8 and terminal escapes', seconds => 3,
    message => qr/HTTP 400 from $page0: \?\?\?\[2J\?bad request \?(?:\||$)/m);

# ---- redirects ----------------------------------------------------------------------------

$mock->reset;
$mock->control(redirect => { location => 'file:///etc/passwd' });
hostile_run(name => 'a redirect to file://', seconds => 2,
    message => qr/redirect to an unusable URL refused: only http and https URLs are fetched, not file: $page0/);

# Another host on loopback, even one usage_archive.allowed_hosts lists: the redirect rule
# (same host and port only) refuses it, before any connection.
my $allow_local = q{SET usage_archive.allowed_hosts = '127.0.0.1, localhost, 127.0.0.2';};
for my $address ('127.0.0.1', '127.0.0.2') {
    my $trip = tripwire($address);
    my $host = $address eq '127.0.0.1' ? 'localhost' : $address;
    my $target = "http://$host:" . $trip->sockport . '/steal';
    $mock->reset;
    $mock->control(redirect => { location => $target });
    hostile_run(name => "a redirect to $target", seconds => 2, settings => $allow_local,
        message => qr/redirect to another host \(\Q$host\E\) refused: $page0/);
    ok(!defined($trip->accept), "a redirect to $target: no connection was attempted");
    # Page 0, and the pages the run asked for on speculation (the source's known lines fill
    # them), each once: nothing retried.
    my $pages = $mock->stats->{data_usage_pages};
    is_deeply([ grep { $pages->{$_} != 1 } sort keys %$pages ], [], "a redirect to $target: no page requested twice, not a retry");
    is($pages->{0}, 1, "a redirect to $target: page 0 requested once");
}

# Private and link-local addresses (the cloud metadata endpoint): refused from the Location
# alone, at once, so nothing leaves the machine.
for my $target ('http://10.0.0.1/api', 'http://169.254.169.254/latest/meta-data/', 'http://192.168.1.1:8080/',
    "http://[::1]:$port/api")
{
    $mock->reset;
    $mock->control(redirect => { location => $target, status => 307 });
    my ($host) = $target =~ m{^http://(\[[^\]]+\]|[^:/]+)};
    hostile_run(name => "a redirect to $target", seconds => 1.5,
        message => qr/redirect to another host \(\Q$host\E\) refused: $page0/);
}

# ---- TLS and the token endpoint -------------------------------------------------------------

# A mock API serving https with `cert`, and a source `name` on it. Returns the mock and the
# start of a failed run's message, up to libcurl's own words.
sub tls_source {
    my ($name, $cert, $key) = @_;
    my $tls_mock = MockApi->start('--lines', '20', '--tls-cert', $cert, '--tls-key', $key);
    my $p = $tls_mock->port;
    $node->safe_psql('postgres', qq{
        SET log_statement = 'none';
        SELECT usage_archive.add_source('$name', 'starlink',
            base_url => 'https://127.0.0.1:$p/api', token_url => 'https://127.0.0.1:$p/api/auth/connect/token',
            client_id => 'test-client', client_secret => 'test-secret', options => '{"page_limit": 10}');
    });
    return ($tls_mock, qr{token request failed: request failed: POST https://127\.0\.0\.1:$p/api/auth/connect/token: });
}

# Runs `source` with usage_archive.ca_file = `ca`: it archives, and the archive is the new
# reference for "nothing written".
sub trusted_tls_run {
    my ($source, $ca, $name) = @_;
    my ($ret, $stdout, $stderr) = $node->psql('postgres',
        qq{SET usage_archive.ca_file = '$ca'; SELECT inserted > 0 FROM usage_archive.archive_usage('$source')});
    is($stdout, 't', $name) or diag($stderr);
    $archive = $node->safe_psql('postgres', $snapshot_sql);
}

SKIP: {
    # Throwaway certificates, made here (never a committed key).
    skip 'no openssl command to make a certificate', 6 + 4 * 5 + 1 if system('openssl version >/dev/null 2>&1') != 0;
    my $tls_dir = PostgreSQL::Test::Utils::tempdir('tls');
    my ($cert, $key) = ("$tls_dir/cert.pem", "$tls_dir/key.pem");
    system_or_bail('openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
        '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', $key, '-out', $cert);
    my ($tls_mock, $tls_url) = tls_source('tls', $cert, $key);
    hostile_run(name => 'TLS with an untrusted certificate', source => 'tls', seconds => 5,
        message => qr{${tls_url}SSL certificate problem: self-signed certificate});
    # The same listener with its certificate trusted: the failure was the trust, not the server.
    trusted_tls_run('tls', $cert, 'the TLS mock with its certificate as usage_archive.ca_file: archived');
    $tls_mock->stop;

    # Each verification result in libcurl's own words (its error buffer), not the generic
    # "SSL peer certificate or SSH remote key was not OK": a throwaway CA signs a certificate
    # for 127.0.0.1, one for another name and an expired one.
    my $ca = "$tls_dir/ca.pem";
    system_or_bail('openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
        '-subj', '/CN=usage_archive throwaway CA', '-keyout', "$tls_dir/ca.key", '-out', $ca);
    my $signed = sub {
        my ($name, $san, $days) = @_;
        system_or_bail('openssl', 'req', '-newkey', 'rsa:2048', '-nodes', '-subj', "/CN=$name",
            '-keyout', "$tls_dir/$name.key", '-out', "$tls_dir/$name.csr");
        open(my $ext, '>', "$tls_dir/$name.ext") or die $!;
        print $ext "subjectAltName=$san\n";
        close $ext;
        # -days -1: valid until yesterday.
        system_or_bail('openssl', 'x509', '-req', '-in', "$tls_dir/$name.csr", '-CA', $ca, '-CAkey', "$tls_dir/ca.key",
            '-CAcreateserial', '-days', $days, '-extfile', "$tls_dir/$name.ext", '-out', "$tls_dir/$name.pem");
        return tls_source("tls_$name", "$tls_dir/$name.pem", "$tls_dir/$name.key");
    };
    my $trust_ca = "SET usage_archive.ca_file = '$ca';";

    my ($good, $good_url) = $signed->('good', 'IP:127.0.0.1', 1);
    hostile_run(name => 'TLS signed by an unknown CA', source => 'tls_good', seconds => 5,
        message => qr{${good_url}SSL certificate problem: unable to get local issuer certificate});
    trusted_tls_run('tls_good', $ca, 'TLS with its CA as usage_archive.ca_file: archived');
    # A ca_file that is not there: named, not a handshake failure.
    hostile_run(name => 'a ca_file that does not exist', source => 'tls_good', seconds => 5,
        settings => "SET usage_archive.ca_file = '$tls_dir/no-such-ca.pem';",
        message => qr{${good_url}error setting certificate file: \Q$tls_dir\E/no-such-ca\.pem});
    $good->stop;

    my ($other, $other_url) = $signed->('other', 'DNS:other.invalid', 1);
    hostile_run(name => 'TLS for another name', source => 'tls_other', seconds => 5, settings => $trust_ca,
        message => qr{${other_url}SSL: no alternative certificate subject name matches target host name '127\.0\.0\.1'});
    $other->stop;

    my ($expired, $expired_url) = $signed->('expired', 'IP:127.0.0.1', -1);
    hostile_run(name => 'TLS with an expired certificate', source => 'tls_expired', seconds => 5, settings => $trust_ca,
        message => qr{${expired_url}SSL certificate problem: certificate has expired});
    $expired->stop;
}

$mock->reset;
$mock->control(token_html => JSON::PP::true);
hostile_run(name => 'a token endpoint that answers HTML', seconds => 3,
    message => qr{token request failed: HTTP 200 from $token: the answer is not a JSON object with an access_token \(Content-Type: text/html; charset=utf-8\)});
is($mock->stats->{requests}{data_usage}, 0, 'no API request without a token');

# ---- the run log --------------------------------------------------------------------------

is($node->safe_psql('postgres', q{
    SELECT count(*) FILTER (WHERE status = 'failed' AND sqlstate = '38000') || '/' || count(*) FILTER (WHERE status = 'running')
    FROM usage_archive.archive_runs}), "$hostile_runs/0", 'every hostile run is logged as failed, none left running');
my $log = slurp_file($node->logfile);
unlike($log, qr/test-secret|Bearer [0-9a-f]{20}/, 'no secret or token in the server log');
unlike($log, qr/PANIC|server process .* was terminated/, 'no backend crashed');

$mock->stop;
$node->stop;
done_testing();
