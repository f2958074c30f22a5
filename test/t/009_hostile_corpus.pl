# The hostile-payload corpus (test/corpus/cases.tsv): every case goes through
# usage_archive.archive_payload and must end exactly as the manifest says (the counters of a
# success, or the SQLSTATE and a message fragment of a failure), with the server still up,
# the archived tables untouched by the case (byte for byte: every row's ctid, xmin and values)
# and, with the background worker, each failed call logged in archive_runs as 'failed' with
# its SQLSTATE. Successful cases are rolled back so that no case changes what later ones see.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use WorkerNode;

my $corpus = "$FindBin::RealBin/../corpus";
my @cases;
open(my $manifest, '<', "$corpus/cases.tsv") or die "cases.tsv: $!";
while (my $line = <$manifest>) {
    chomp $line;
    next if $line =~ /^#/ || $line eq '';
    my %c;
    @c{qw(name kind overload payload expect detail logged)} = split /\t/, $line, -1;
    $c{id} = "$c{kind}/$c{name}";
    push @cases, \%c;
}
close $manifest;
cmp_ok(scalar(@cases), '>=', 200, 'the corpus has at least 200 cases');

# Payloads too large to commit, built here from the recipe the manifest names.
my $gen_dir = PostgreSQL::Test::Utils::tempdir;
my %recipes = (
    # 300,000 one-day records: 1,000 new lines of 300 days each.
    tiny_records_300k => sub {
        my ($fh) = @_;
        print {$fh} '{';
        for my $l (1 .. 1000) {
            print {$fh} ',' if $l > 1;
            print {$fh} qq("GEN-$l":{"daily_usage":[);
            print {$fh} join(',', map { sprintf '{"date":"%s","usage_gb":%d}', day_text($_), $_ % 7 } 0 .. 299);
            print {$fh} ']}';
        }
        print {$fh} '}';
    },
    # 300,000 records of one key: the last one wins.
    same_key_300k => sub {
        my ($fh) = @_;
        print {$fh} '{"GEN-1":{"daily_usage":[';
        print {$fh} join(',', ('{"date":"2025-10-02","usage_gb":1}') x 300_000);
        print {$fh} ']}}';
    },
    # 300,000 starlink days, each with a negative value: all rejected, none written.
    rejected_300k => sub {
        my ($fh) = @_;
        print {$fh} '{"isValid":true,"content":{"results":[{"serviceLineNumber":"GEN-R","billingCycles":[{"dailyDataUsage":[';
        print {$fh} join(',', ('{"date":"2025-10-02","priorityGB":-1}') x 300_000);
        print {$fh} ']}]}]}}';
    },
    # One 300 MB string, in a member nobody reads.
    string_300mb_member => sub {
        my ($fh) = @_;
        print {$fh} '{"GEN-1":{"daily_usage":[{"date":"2025-10-02","usage_gb":1}],"note":"', 'x' x 300_000_000, '"}}';
    },
    # One 300 MB string as a service line number.
    string_300mb_line_id => sub {
        my ($fh) = @_;
        print {$fh} '{"isValid":true,"content":{"results":[{"serviceLineNumber":"', 'L' x 300_000_000,
          '","billingCycles":[]}]}}';
    },
);

sub day_text {
    my ($n) = @_;
    my @t = gmtime(1704067200 + 86400 * $n);    # from 2024-01-01
    return sprintf '%04d-%02d-%02d', $t[5] + 1900, $t[4] + 1, $t[3];
}

my %generated;
for my $c (@cases) {
    if ($c->{payload} =~ /^gen:(\w+)$/) {
        my $recipe = $1;
        die "unknown recipe $recipe" unless $recipes{$recipe};
        my $path = "$gen_dir/$recipe.json";
        unless ($generated{$path}++) {
            open(my $fh, '>', $path) or die "$path: $!";
            $recipes{$recipe}->($fh);
            close $fh or die "$path: $!";
        }
        $c->{path} = $path;
    } elsif ($c->{payload} =~ /^file:(.+)$/) {
        $c->{path} = "$corpus/$1";
        die "missing payload $c->{path}" unless -f $c->{path};
    } else {
        die "bad payload column for $c->{id}: $c->{payload}";
    }
}

# One session failing hundreds of calls back to back outruns the worker's rounds: all
# run_log_slots (the default 64) can be waiting for the worker at once. A call then waits for
# a slot to come free instead of logging itself where a failure would leave no row, so every
# failed case below must still have its row (the default slot count on purpose).
my $node = WorkerNode->start('corpus', '');
ok(WorkerNode::wait_for_workers($node), 'the background worker runs (durable run log)');
my %source = (starlink => 'corpus_starlink', simple => 'corpus_simple');
$node->safe_psql('postgres', qq{
    CREATE EXTENSION usage_archive;
    SELECT usage_archive.add_source('corpus_starlink', 'starlink');
    SELECT usage_archive.add_source('corpus_simple', 'simple');
    SELECT * FROM usage_archive.archive_payload('corpus_starlink', pg_read_file('$corpus/baseline/starlink.json'));
    SELECT * FROM usage_archive.archive_payload('corpus_simple', pg_read_file('$corpus/baseline/simple.json'));

    CREATE SCHEMA corpus_test;
    -- Every archived row with its version (ctid, xmin): a case that rewrote a row with the
    -- same values still changes this.
    CREATE FUNCTION corpus_test.checksum() RETURNS text LANGUAGE sql AS \$\$
        SELECT pg_catalog.md5(pg_catalog.string_agg(x, E'\\n' ORDER BY x COLLATE "C")) FROM (
            SELECT 'h ' || ctid || ' ' || xmin || ' ' || t::text FROM usage_archive.daily_usage_history t
            UNION ALL SELECT 'l ' || ctid || ' ' || xmin || ' ' || t::text FROM usage_archive.service_lines t
            UNION ALL SELECT 'c ' || ctid || ' ' || xmin || ' ' || t::text FROM usage_archive.billing_cycles t
            UNION ALL SELECT 'u ' || ctid || ' ' || xmin || ' ' || t::text FROM usage_archive.usage_corrections t) s(x)
    \$\$;
    -- One case: its outcome, then undo whatever a successful call wrote (the exception block
    -- is a subtransaction). The run id is the sequence value the call took, if it got that far
    -- (this session is the only one taking them).
    CREATE FUNCTION corpus_test.run(src text, path text, as_jsonb boolean) RETURNS text LANGUAGE plpgsql AS \$\$
    DECLARE
        s usage_archive.archive_stats;
        st text;
        msg text;
        outcome text;
        run_before bigint := pg_catalog.pg_sequence_last_value('usage_archive.archive_runs_run_id_seq');
        run_after bigint;
    BEGIN
        BEGIN
            IF as_jsonb THEN
                SELECT * INTO s FROM usage_archive.archive_payload(src, pg_catalog.pg_read_file(path)::jsonb);
            ELSE
                SELECT * INTO s FROM usage_archive.archive_payload(src, pg_catalog.pg_read_file(path));
            END IF;
            outcome := pg_catalog.format('ok|%s %s %s %s %s %s', s.inserted, s.updated, s.unchanged, s.skipped,
                                         s.rejected, s.collapsed);
            RAISE SQLSTATE 'UAC01';
        EXCEPTION
            WHEN SQLSTATE 'UAC01' THEN NULL;
            WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
                outcome := st || '|' || pg_catalog.translate(msg, E'\\n\\t\\r', '   ');
        END;
        run_after := pg_catalog.pg_sequence_last_value('usage_archive.archive_runs_run_id_seq');
        RETURN outcome || '|' || CASE WHEN run_after > run_before THEN run_after::text ELSE '' END;
    END
    \$\$;
});
my $baseline = $node->safe_psql('postgres', 'SELECT corpus_test.checksum()');
my $started = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
is($node->safe_psql('postgres', 'SELECT count(*) FROM usage_archive.daily_usage_history'), '30',
    'the baseline: 30 archived days');

# One psql session runs every case (a process per case would take minutes longer); the
# statement after each case proves the server still answers and the tables are unchanged.
my $script = "$gen_dir/cases.sql";
open(my $sql, '>', $script) or die "$script: $!";
print $sql "\\set ON_ERROR_STOP 0\n";
for my $i (0 .. $#cases) {
    my $c = $cases[$i];
    my $jsonb = $c->{overload} eq 'jsonb' ? 'true' : 'false';
    print $sql "SELECT 'CASE $i|' || corpus_test.run('$source{$c->{kind}}', '$c->{path}', $jsonb);\n";
    print $sql "SELECT 'AFTER $i|' || pg_postmaster_start_time() || '|' || corpus_test.checksum();\n";
}
close $sql;
my ($out, $err) = ('', '');
my $t0 = time;
IPC::Run::run([ 'psql', '-XAtq', '-d', $node->connstr('postgres'), '-f', $script ],
    '>', \$out, '2>', \$err, IPC::Run::timeout(1200));
note sprintf 'ran %d cases in %d s', scalar(@cases), time - $t0;
unlink keys %generated;
my (%outcome, %after);
for my $line (split /\n/, $out) {
    if ($line =~ /^CASE (\d+)\|(.*)$/s) {
        $outcome{$1} = $2;
    } elsif ($line =~ /^AFTER (\d+)\|(.*)$/) {
        $after{$1} = $2;
    }
}

my %runs;    # run id => [case, status wanted, sqlstate wanted]
for my $i (0 .. $#cases) {
    my $c = $cases[$i];
    my @problems;
    if (!defined $outcome{$i}) {
        push @problems, 'no outcome (did the backend die?)';
    } else {
        my ($status, $rest) = split /\|/, $outcome{$i}, 2;
        my ($detail, $run) = $rest =~ /^(.*)\|(\d*)$/s;
        if ($c->{expect} eq 'ok') {
            push @problems, "expected counters $c->{detail}, got $status: $detail"
              unless $status eq 'ok' && $detail eq $c->{detail};
            push @problems, 'no run row' unless $run;
            $runs{$run} = [ $c, 'rolled_back', '' ] if $run;
        } else {
            push @problems, "expected $c->{expect} with '$c->{detail}', got $status: $detail"
              unless $status eq $c->{expect} && index($detail, $c->{detail}) >= 0;
            push @problems, 'a message over 2,000 bytes' if length($detail) > 2000;
            if ($c->{logged} eq 'yes') {
                push @problems, 'the call took no run id' unless $run;
                $runs{$run} = [ $c, 'failed', $c->{expect} ] if $run;
            } elsif ($run) {
                push @problems, "a run ($run) although PostgreSQL refused the argument";
            }
        }
    }
    if (!defined $after{$i}) {
        push @problems, 'the server did not answer after the case';
    } else {
        my ($start, $sum) = split /\|/, $after{$i};
        push @problems, 'the server restarted' unless $start eq $started;
        push @problems, 'the archived tables changed' unless $sum eq $baseline;
    }
    ok(!@problems, "$c->{id} ($c->{overload})") or diag join('; ', @problems);
}
unlike($err, qr/ERROR|FATAL|PANIC|connection|run log slots/, 'psql reported no errors and no run-log fallback')
  or diag $err;

# The run log: the worker writes the failures in its own transactions, a moment later.
my $ids = join(',', sort { $a <=> $b } keys %runs) || '0';
ok($node->poll_query_until('postgres',
        "SELECT count(*) = 0 FROM usage_archive.archive_runs WHERE run_id IN ($ids) AND status = 'running'"),
    'every run has finished in the log');
my %logged = map { my ($id, $status, $state) = split /\|/; ($id => "$status|$state") } split /\n/,
  $node->safe_psql('postgres',
    "SELECT run_id || '|' || status || '|' || coalesce(sqlstate, '') FROM usage_archive.archive_runs WHERE run_id IN ($ids)");
my @wrong_log;
for my $id (sort { $a <=> $b } keys %runs) {
    my ($c, $status, $state) = @{ $runs{$id} };
    my $got = $logged{$id} // 'no row';
    push @wrong_log, "$c->{id}: run $id is $got, expected $status|$state" unless $got eq "$status|$state";
}
is(scalar(@wrong_log), 0, sprintf('archive_runs: %d failed calls logged failed with their SQLSTATE, successes rolled_back',
        scalar(keys %runs)))
  or diag join("\n", @wrong_log[ 0 .. ($#wrong_log < 20 ? $#wrong_log : 19) ]);

is($node->safe_psql('postgres', 'SELECT corpus_test.checksum()'), $baseline, 'the archived tables are as the baseline left them');
$node->stop;
unlike(slurp_file($node->logfile), qr/terminated by signal|PANIC|server process .* was terminated/,
    'no backend crashed');

done_testing();
