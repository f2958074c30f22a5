# The mock vendor API (test/mock_api/server.py) for TAP tests: a real HTTP server on a free
# port of 127.0.0.1, started and stopped by the test.
package MockApi;

use strict;
use warnings;
use File::Basename qw(dirname);
use File::Spec;
use HTTP::Tiny;
use IPC::Run;
use JSON::PP;
use PostgreSQL::Test::Utils;

sub start {
    my ($class, @server_args) = @_;
    my $dir = PostgreSQL::Test::Utils::tempdir('mock_api');
    my $server = File::Spec->catfile(dirname(__FILE__), '..', 'mock_api', 'server.py');
    my ($out, $err) = ('', '');
    my $handle = IPC::Run::start([ 'python3', $server, '--port', '0', '--port-file', "$dir/port", @server_args ],
        '>', \$out, '2>', \$err);
    for (1 .. 100) {
        last if -s "$dir/port";
        select(undef, undef, undef, 0.1);
    }
    die "mock API did not start: $err" unless -s "$dir/port";
    open(my $fh, '<', "$dir/port") or die;
    my $port = <$fh>;
    close($fh);
    chomp $port;
    return bless { handle => $handle, port => $port, http => HTTP::Tiny->new(timeout => 30) }, $class;
}

sub port { $_[0]{port} }
sub url { "http://127.0.0.1:$_[0]{port}$_[1]" }

sub _post {
    my ($self, $path, $body) = @_;
    my $r = $self->{http}->post($self->url($path),
        { content => encode_json($body), headers => { 'Content-Type' => 'application/json' } });
    die "mock API $path: $r->{status} $r->{content}" unless $r->{success};
    return decode_json($r->{content});
}

sub control { my ($self, %faults) = @_; return $self->_post('/_control', \%faults) }
sub reset { my ($self) = @_; return $self->_post('/_reset', {}) }

sub stats {
    my ($self) = @_;
    my $r = $self->{http}->get($self->url('/_stats'));
    die "mock API stats: $r->{status}" unless $r->{success};
    return decode_json($r->{content});
}

sub stop {
    my ($self) = @_;
    return unless $self->{handle};
    $self->{handle}->signal('TERM');
    $self->{handle}->finish;
    delete $self->{handle};
}

sub DESTROY { $_[0]->stop }

1;
