# One psql session driven statement by statement, for tests that act on a backend while it
# runs a statement (cancel it, terminate it, watch its process title) and then go on using the
# same session. Errors do not end the session (psql without ON_ERROR_STOP); each statement's
# stderr is kept, with the SQLSTATE (VERBOSITY verbose).
package CancelSession;

use strict;
use warnings;
use IPC::Run;
use Time::HiRes qw(time usleep);

sub new {
    my ($class, $node, $dbname) = @_;
    my $self = bless { in => '', out => '', err => '', n => 0 }, $class;
    $self->{h} = IPC::Run::start(
        [ 'psql', '-XAtq', '-v', 'VERBOSITY=verbose', '-d', $node->connstr($dbname // 'postgres') ],
        '<', \$self->{in}, '>', \$self->{out}, '2>', \$self->{err}, IPC::Run::timeout(900));
    $self->{pid} = $self->query('SELECT pg_backend_pid()');
    return $self;
}

sub pid { $_[0]{pid} }

# Sends one statement (or several, ;-separated) without waiting; returns the time it was sent.
sub send {
    my ($self, $sql) = @_;
    $self->{n}++;
    $self->{out} = '';
    $self->{err} = '';
    $self->{marker} = "__done_$self->{n}__";
    $sql .= ';' unless $sql =~ /;\s*$/;    # psql runs a statement at its semicolon
    $self->{in} .= "$sql\n\\echo $self->{marker}\n";
    $self->{h}->pump_nb;
    $self->{sent_at} = time;
    return $self->{sent_at};
}

sub sent_at { $_[0]{sent_at} }

# True once the statement sent last has finished (or psql has exited).
sub done {
    my ($self) = @_;
    return 1 if $self->{ended};
    eval { $self->{h}->pump_nb };
    if (!$self->{h}->pumpable) {
        $self->{ended} = 1;
        eval { $self->{h}->finish };
        return 1;
    }
    return index($self->{out}, $self->{marker}) >= 0;
}

# Waits for the statement sent last, calling $tick (if any) every few milliseconds meanwhile.
# Returns (stdout, stderr, time it was seen finished).
sub wait {
    my ($self, $tick) = @_;
    until ($self->done) {
        $tick->() if $tick;
        usleep(2000);
    }
    my $at = time;
    eval { $self->{h}->pump_nb } unless $self->{ended};
    (my $out = $self->{out}) =~ s/__done_\d+__\n?//;
    chomp $out;
    return ($out, $self->{err}, $at);
}

# Runs a statement that must succeed; returns its output.
sub query {
    my ($self, $sql) = @_;
    $self->send($sql);
    my ($out, $err) = $self->wait;
    die "statement failed: $sql\n$err" if $err ne '';
    return $out;
}

sub ended { $_[0]{ended} }

sub quit {
    my ($self) = @_;
    return if $self->{ended};
    $self->{in} .= "\\q\n";
    eval { $self->{h}->finish };
    $self->{ended} = 1;
}

# The process title of a backend ('postgres: ... usage_archive big: parsing'), '' once gone.
sub title_of {
    my ($pid) = @_;
    open(my $fh, '<', "/proc/$pid/cmdline") or return '';
    local $/;
    my $title = <$fh> // '';
    close $fh;
    $title =~ s/\0+/ /g;
    $title =~ s/\s+$//;
    return $title;
}

# A number from /proc/<pid>/status, in kB (VmRSS, VmHWM).
sub status_kb {
    my ($pid, $field) = @_;
    open(my $fh, '<', "/proc/$pid/status") or die "no process $pid";
    while (<$fh>) {
        return $1 if /^$field:\s+(\d+)\s+kB/;
    }
    die "no $field for $pid";
}

# The backend's TCP connections to 127.0.0.1:$port, counted from its own socket descriptors
# (a connection the mock still holds open on its side does not count).
sub tcp_connections_to {
    my ($pid, $port) = @_;
    my %inodes;
    opendir(my $dh, "/proc/$pid/fd") or return 0;
    for my $fd (readdir $dh) {
        my $link = readlink("/proc/$pid/fd/$fd") // next;
        $inodes{$1} = 1 if $link =~ /^socket:\[(\d+)\]$/;
    }
    closedir $dh;
    my $count = 0;
    for my $table ("/proc/$pid/net/tcp", "/proc/$pid/net/tcp6") {
        open(my $fh, '<', $table) or next;
        <$fh>;    # header
        while (<$fh>) {
            my @f = split ' ';
            my ($remote_port) = $f[2] =~ /:([0-9A-F]+)$/;
            $count++ if hex($remote_port) == $port && $inodes{ $f[9] };
        }
        close $fh;
    }
    return $count;
}

1;
