# Cancel and kill (issue 12, item 3): pg_cancel_backend and statement_timeout during the HTTP
# fetch, the parse of a large payload and the write end the call with 57014 within 1.5 s of
# the cancel ($bound: a second, and half a second for the test's own round trips);
# nothing of the run is kept, the session goes on, the run is logged failed, and no connection
# to the API or memory is left behind. pg_terminate_backend in each phase leaves the server up
# and the run logged failed with 57P01.
#
# Where a run is: its process title names the phase ("usage_archive big: parsing",
# "... inserting", "usage_archive mock: waiting for the API"), read from /proc while it runs.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use CancelSession;
use MockApi;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);
use WorkerNode;

# The bound on how long a call may take to end after its cancel: a second, and half a second
# for a loaded test machine (the psql round trips of the test itself are inside it).
my $bound = 1.5;

my $mock = MockApi->start('--lines', '20');
my $port = $mock->port;
my $node = WorkerNode->start('cancel');
WorkerNode::wait_for_workers($node) or die 'the worker did not start';
WorkerNode::create_with_mock_source($node, $port);
# One chunk per run: the large payload is parsed whole, then written, so each phase lasts
# seconds and a cancel can be aimed at it (chunked runs alternate between the two).
$node->safe_psql('postgres',
    'ALTER SYSTEM SET usage_archive.write_chunk_records = 2000000000; SELECT pg_catalog.pg_reload_conf()');

# The large payloads: generated once, loaded into a table uncompressed (STORAGE EXTERNAL), so
# handing one to archive_payload is a plain read, not seconds of decompression before the run.
my $dir = PostgreSQL::Test::Utils::tempdir();
my $records = $ENV{CANCEL_TEST_RECORDS_LINES} // 6000;
system('python3', "$FindBin::RealBin/../mock_api/starlink_data.py", 'payload', '--lines', $records, '--days', '400',
    '--out', "$dir/big.json") == 0 or die 'could not generate the payload';
# A response whose bulk is members the parser skips (the API's warnings): a parse with no
# records to count for a long time.
{
    open(my $fh, '>', "$dir/warnings.json") or die;
    my $warning = '{"memberNames":["serviceLineNumbers"],"errorMessage":"a warning the archive does not need"},';
    print $fh '{"isValid":true,"errors":[],"information":[],"warnings":[';
    print $fh $warning x 100000 for 1 .. 40;
    print $fh '{"memberNames":[],"errorMessage":"last"}],"content":{"pageIndex":0,"limit":1,"isLastPage":true,'
      . '"totalCount":1,"results":[{"serviceLineNumber":"W-1","billingCycles":[{"startDate":"2025-10-01T00:00:00Z",'
      . '"endDate":"2025-10-31T00:00:00Z","dailyDataUsage":[{"date":"2025-10-01T00:00:00Z","priorityGB":1,'
      . '"standardGB":2}]}]}]}}';
    close $fh;
}
# Each with a byte order mark in front, which the fast starlink parser (simdjson) leaves to
# the reference parser (nlohmann/json): the fast one reads these in under a second, a phase
# too short to cancel inside reliably. Its checks for a cancel, every megabyte like the
# reference's, are unit-tested (test/unit/parse_progress_test.cpp).
$node->safe_psql('postgres', qq{
    SELECT usage_archive.add_source('big', 'starlink');
    CREATE TABLE payloads (name text PRIMARY KEY, body text);
    ALTER TABLE payloads ALTER body SET STORAGE EXTERNAL;
    INSERT INTO payloads VALUES ('big', chr(65279) || pg_read_file('$dir/big.json')),
        ('warnings', chr(65279) || pg_read_file('$dir/warnings.json'));
});
note('payload sizes: ' . $node->safe_psql('postgres', q{SELECT string_agg(name || ' ' || pg_size_pretty(octet_length(body)::bigint), ', ') FROM payloads}));

my $kept = q{SELECT (SELECT count(*) FROM usage_archive.daily_usage_history) || '/'
    || (SELECT count(*) FROM usage_archive.service_lines) || '/' || (SELECT count(*) FROM usage_archive.billing_cycles)};
my $postmaster_start = $node->safe_psql('postgres', q{SELECT pg_postmaster_start_time()});

my %calls = (
    fetch => q{SELECT * FROM usage_archive.archive_usage('mock')},
    parse => q{SELECT * FROM usage_archive.archive_payload('big', (SELECT body FROM payloads WHERE name = 'big'))},
    skipped => q{SELECT * FROM usage_archive.archive_payload('big', (SELECT body FROM payloads WHERE name = 'warnings'))},
    write => q{SELECT * FROM usage_archive.archive_payload('big', (SELECT body FROM payloads WHERE name = 'big'))},
);
my %titles = (
    fetch => qr/usage_archive mock: waiting for the API/,
    parse => qr/usage_archive big: parsing/,
    skipped => qr/usage_archive big: parsing/,
    write => qr/usage_archive big: inserting/,
);
# What the title says (after the source's name) during the phase.
my %in_phase = (fetch => qr/^(fetching|waiting for the API)$/, parse => qr/^parsing$/, skipped => qr/^parsing$/,
    write => qr/^inserting$/);

# Runs `sql` in $s, calling $on_title->(title, seconds since sent) whenever the backend's
# title changes; returns (stdout, stderr, seconds from sent to finished, phase timeline).
sub run_watched {
    my ($s, $sql, $on_title) = @_;
    my $sent = $s->send($sql);
    my ($last, @timeline) = ('');
    my ($out, $err, $at) = $s->wait(sub {
        my $title = CancelSession::title_of($s->pid);
        return unless $title =~ /usage_archive (\S+): (.*)$/;
        return if $title eq $last;
        $last = $title;
        push @timeline, [ $2, time - $sent ];
        $on_title->($title, time - $sent) if $on_title;
    });
    return ($out, $err, $at - $sent, \@timeline);
}

sub timeline_text { join(', ', map { sprintf('%s at %.2f s', @$_) } @{ $_[0] }) }

# The phase a timeline says was last entered.
sub last_phase { my ($t) = @_; return @$t ? $t->[-1][0] : '' }

# Uncancelled runs, rolled back: when each payload's run parses and when it inserts.
my $s = CancelSession->new($node);
my %span;    # "payload phase" -> [first seen, next phase seen], seconds since the call was sent
for my $payload ('parse', 'skipped') {
    $s->query('BEGIN');
    my ($out, $err, $took, $timeline) = run_watched($s, $calls{$payload});
    is($err, '', "the $payload payload archives when nothing interrupts it");
    $s->query('ROLLBACK');
    note(sprintf("uncancelled run ($payload): %.2f s: %s", $took, timeline_text($timeline)));
    for my $i (0 .. $#$timeline) {
        my ($phase, $from) = @{ $timeline->[$i] };
        $span{"$payload $phase"} //= [ $from, $i < $#$timeline ? $timeline->[ $i + 1 ][1] : $took ];
    }
}
for my $phase ('parse parsing', 'parse inserting', 'skipped parsing') {
    ok($span{$phase} && $span{$phase}[1] - $span{$phase}[0] > 1.0, "$phase: the phase lasts over a second")
      or diag(explain(\%span));
}
$s->query('SELECT 1');
my $rss_baseline = CancelSession::status_kb($s->pid, 'VmRSS');

# Cancels the run of `phase` by `method` (cancel: pg_cancel_backend once the title shows the
# phase; timeout: statement_timeout set to land in the middle of the phase) and checks what
# must hold afterwards.
sub cancel_in_phase {
    my ($phase, $method) = @_;
    my $what = "$method during $phase";
    my $before = $node->safe_psql('postgres', $kept);
    my ($out, $err, $took, $timeline, $cancelled_at, $connections_while_fetching);
    if ($method eq 'timeout') {
        # The middle of the phase in the uncancelled run. A loaded machine can stretch the
        # phases before it: a timeout that fired too early (or late) is tried again, moved by
        # what that attempt showed, and every attempt is checked like any other cancel.
        my $span = $span{ { parse => 'parse parsing', write => 'parse inserting', skipped => 'skipped parsing' }->{$phase} // '' };
        my $ms = $span ? int(500 * ($span->[0] + $span->[1])) : 1500;
        for my $attempt (1 .. 6) {
            $s->query("SET statement_timeout = $ms");
            ($out, $err, $took, $timeline) = run_watched($s, $calls{$phase}, sub {
                my ($title) = @_;
                $connections_while_fetching = CancelSession::tcp_connections_to($s->pid, $port)
                  if $phase eq 'fetch' && !$connections_while_fetching && $title =~ /waiting for the API/;
            });
            $s->query('RESET statement_timeout');
            $took -= $ms / 1000;    # from the moment the timeout fired
            last if $attempt == 6 || last_phase($timeline) =~ $in_phase{$phase} || $err !~ /57014/;
            my $entered = (grep { $_->[0] =~ $in_phase{$phase} } @$timeline)[0];
            note(sprintf("$what: attempt $attempt at %d ms landed in '%s'; again", $ms, last_phase($timeline)));
            cmp_ok($took, '<', $bound, sprintf("$what (attempt $attempt): ended %.2f s after the cancel", $took));
            is($s->query('SELECT 42'), '42', "$what (attempt $attempt): the session goes on");
            $ms = $entered ? int(1000 * $entered->[1]) + 500 : int($ms * 1.6);
        }
    } else {
        ($out, $err, $took, $timeline) = run_watched($s, $calls{$phase}, sub {
            my ($title, $since) = @_;
            return if $cancelled_at || $title !~ $titles{$phase};
            usleep(200_000);    # well inside the phase
            $connections_while_fetching = CancelSession::tcp_connections_to($s->pid, $port) if $phase eq 'fetch';
            $cancelled_at = time;
            $node->safe_psql('postgres', 'SELECT pg_cancel_backend(' . $s->pid . ')');
        });
        $took = $s->sent_at + $took - $cancelled_at;    # from the cancel to the end of the call
    }
    like($err, qr/ERROR:  57014: canceling statement due to (user request|statement timeout)/, "$what: 57014");
    like(last_phase($timeline), $in_phase{$phase}, "$what: it was in that phase") or diag(timeline_text($timeline));
    cmp_ok($took, '<', $bound, sprintf("$what: ended %.2f s after the cancel", $took));
    is($node->safe_psql('postgres', $kept), $before, "$what: nothing of the run was kept");
    is($s->query('SELECT 42'), '42', "$what: the session goes on");
    like(WorkerNode::final_run($node, WorkerNode::last_run_id($node)),
        qr/^failed\|57014\|57014: canceling statement due to (user request|statement timeout)/, "$what: run logged failed, 57014");
    if ($phase eq 'fetch') {
        cmp_ok($connections_while_fetching, '>=', 1, "$what: the fetch had a connection to the API");
        is(CancelSession::tcp_connections_to($s->pid, $port), 0, "$what: and none is left");
    }
    return CancelSession::status_kb($s->pid, 'VmRSS');
}

$mock->control(hang_ms => 60000);
my %rss;
for my $round (1, 2) {
    for my $phase ('fetch', 'parse', 'skipped', 'write') {
        for my $method ('cancel', 'timeout') {
            $rss{$round} = cancel_in_phase($phase, $method);
        }
    }
    note(sprintf('VmRSS after round %d of cancels: %.1f MB (after the uncancelled run: %.1f MB)',
        $round, $rss{$round} / 1024, $rss_baseline / 1024));
}
# The first round may leave allocator caches warm; a second one must not add to them.
cmp_ok($rss{2} - $rss{1}, '<', 16 * 1024, 'memory: a second round of cancels leaves the backend no bigger (within 16 MB)');
cmp_ok($rss{2}, '<', $rss_baseline * 1.1 + 16 * 1024, 'nor bigger than after an uncancelled run');
# The jsonb overload renders the payload back to text before the run starts (its title is
# still the statement's): that rendering must be cancellable too, and give exactly the text
# jsonb_out gives (the text overload of jsonb::text reports the same error at the same byte).
# (jsonb holds at most 256 MB: a payload of 1.4 million records.)
system('python3', "$FindBin::RealBin/../mock_api/starlink_data.py", 'payload', '--lines', '3500', '--days', '400',
    '--out', "$dir/jsonb.json") == 0 or die 'could not generate the payload';
$node->safe_psql('postgres', qq{
    CREATE TABLE payloads_jsonb (name text PRIMARY KEY, body jsonb);
    ALTER TABLE payloads_jsonb ALTER body SET STORAGE EXTERNAL;
    INSERT INTO payloads_jsonb SELECT 'big', pg_read_file('$dir/jsonb.json')::jsonb;
    INSERT INTO payloads_jsonb SELECT 'bad', jsonb_set(body, '{content,results,-1,billingCycles}', '{"a": [1, 2.50, true, null, "s\\u00e9\\"q"]}')
    FROM payloads_jsonb WHERE name = 'big';
});
{
    my (undef, undef, $as_jsonb) = $node->psql('postgres',
        q{SELECT usage_archive.archive_payload('big', (SELECT body FROM payloads_jsonb WHERE name = 'bad'))});
    my (undef, undef, $as_text) = $node->psql('postgres',
        q{SELECT usage_archive.archive_payload('big', (SELECT body::text FROM payloads_jsonb WHERE name = 'bad'))});
    like($as_jsonb, qr/unexpected JSON at byte \d{6,} \(\$\.content\.results\[\d+\]\.billingCycles\)/, 'jsonb: a shape error near the end');
    is($as_jsonb, $as_text, 'jsonb: reported at the same byte as in the text of jsonb_out');
    my $jsonb_call = q{SELECT * FROM usage_archive.archive_payload('big', (SELECT body FROM payloads_jsonb WHERE name = 'big'))};
    $s->query('BEGIN');
    my ($o, $e, $took, $timeline) = run_watched($s, $jsonb_call);
    $s->query('ROLLBACK');
    my $rendered = (grep { $_->[0] eq 'parsing' } @$timeline)[0];
    note(sprintf('jsonb: the run starts parsing %.2f s after the call', $rendered ? $rendered->[1] : -1));
    ok($rendered && $rendered->[1] > 0.5, 'jsonb: rendering the payload takes a while');
    my $before = $node->safe_psql('postgres', $kept);
    my $cancelled_at;
    # Cancelled from the test's own clock: a quarter of the way through the rendering.
    my $sent = $s->send($jsonb_call);
    my $wait_until = $sent + ($rendered ? $rendered->[1] / 4 : 0.2);
    my @titles;
    ($o, $e) = $s->wait(sub {
        my $title = CancelSession::title_of($s->pid);
        push @titles, $title if $title =~ /usage_archive/;
        return if $cancelled_at || time < $wait_until;
        $cancelled_at = time;
        $node->safe_psql('postgres', 'SELECT pg_cancel_backend(' . $s->pid . ')');
    });
    my $after = time - $cancelled_at;
    like($e, qr/ERROR:  57014: canceling statement due to user request/, 'cancel while rendering jsonb: 57014');
    is(scalar(@titles), 0, 'cancel while rendering jsonb: it had not started parsing') or diag(join(', ', @titles));
    cmp_ok($after, '<', $bound, sprintf('cancel while rendering jsonb: ended %.2f s after the cancel', $after));
    # The rendering is shorter than a phase: the bound alone would pass a cancel served only
    # at its end (1.1 s after the cancel when JsonbToCString rendered it whole).
    my $rest = $rendered ? $rendered->[1] - ($cancelled_at - $sent) : 0;
    cmp_ok($after, '<', $rest / 2, sprintf('cancel while rendering jsonb: well before the rendering would have ended (%.2f s later)', $rest));
    is($node->safe_psql('postgres', $kept), $before, 'cancel while rendering jsonb: nothing kept');
    is($s->query('SELECT 42'), '42', 'cancel while rendering jsonb: the session goes on');
}
$s->quit;

# pg_terminate_backend in each phase: the session ends, the server does not restart (a
# crash restart would end every session: the witness's too).
my $witness = CancelSession->new($node);
for my $phase ('fetch', 'parse', 'write') {
    my $before = $node->safe_psql('postgres', $kept);
    my $t = CancelSession->new($node);
    my $terminated;
    my ($o, $e) = run_watched($t, $calls{$phase}, sub {
        my ($title) = @_;
        return if $terminated || $title !~ $titles{$phase};
        usleep(200_000);
        $node->safe_psql('postgres', 'SELECT pg_terminate_backend(' . $t->pid . ')');
        $terminated = 1;
    });
    ok($terminated, "terminate during $phase: it reached the phase");
    like($e, qr/terminating connection due to administrator command|server closed the connection/,
        "terminate during $phase: the session ends");
    is($node->safe_psql('postgres', 'SELECT 7'), '7', "terminate during $phase: new sessions work");
    is($witness->query('SELECT 8'), '8', "terminate during $phase: an older session still works");
    is($node->safe_psql('postgres', q{SELECT pg_postmaster_start_time()}), $postmaster_start,
        "terminate during $phase: no crash restart");
    is($node->safe_psql('postgres', $kept), $before, "terminate during $phase: nothing of the run was kept");
    like(WorkerNode::final_run($node, WorkerNode::last_run_id($node)), qr/^failed\|57P01\|/,
        "terminate during $phase: run logged failed, 57P01");
    $t->quit;
}
$mock->reset;
$witness->quit;
unlike(slurp_file($node->logfile), qr/terminated by signal|exited with exit code [^01]|reinitializing/,
    'no process crashed, no crash restart');

# Afterwards the same payload archives in full.
is($node->safe_psql('postgres', q{SELECT inserted > 0 FROM usage_archive.archive_payload('big', (SELECT body FROM payloads WHERE name = 'big'))}),
    't', 'after all that, the payload archives');

$node->stop;
$mock->stop;
done_testing();
