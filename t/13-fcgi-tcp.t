#!/usr/bin/perl
# 13-fcgi-tcp.t: the master on TCP (FCGI_LISTEN) beside a unix socket, and who may
# connect (FCGI_ALLOW): any other peer is closed unread, logged, never served. On
# loopback: 127.0.0.2 stands for the nginx host, 127.0.0.1 for a stranger.
# t/14-two-hosts.t runs two app hosts behind nginx.
use strict;
use warnings;
use Test::More;
use IO::Socket::INET;
use POSIX ':sys_wait_h';
use Time::HiRes qw(time sleep);
use LaFete::Test;
use LaFete::FCGI;

my $bin = $ENV{LAFETE_BIN} or plan skip_all => 'LAFETE_BIN unset (run through script/test)';
my $dir = stack_dir();

sub free_port {
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0) or die $!;
    return $s->sockport;
}

# check-config with these variables added to the stack's; (exit code, output)
sub check_config {
    my (%env) = @_;
    local @ENV{ keys %env } = values %env;
    my $out = `$bin check-config 2>&1`;
    return ($? >> 8, $out);
}

# ---- check-config refuses what cannot work or is unsafe ----
{
    my ($rc, $out) = check_config(FCGI_LISTEN => '127.0.0.1:9000');
    is($rc, 1, 'TCP without FCGI_ALLOW: refused');
    like($out, qr/FCGI_ALLOW must list the addresses of the nginx hosts/, '... saying so');
    ($rc, $out) = check_config(FCGI_LISTEN => 'localhost:9000', FCGI_ALLOW => '127.0.0.1');
    is($rc, 1, 'a host name: refused');
    like($out, qr/FCGI_LISTEN: "localhost:9000": "localhost" is not a numeric address/, '... named');
    ($rc, $out) = check_config(FCGI_LISTEN => '127.0.0.1:70000', FCGI_ALLOW => '127.0.0.1');
    like($out, qr/port must be a number from 1 to 65535/, 'a bad port: refused');
    ($rc, $out) = check_config(FCGI_LISTEN => ':9000', FCGI_ALLOW => '127.0.0.1');
    is($rc, 1, 'an empty host (every interface, unwritten): refused');
    ($rc, $out) = check_config(FCGI_LISTEN => '127.0.0.1:9000', FCGI_ALLOW => '10.0.0.0/33');
    like($out, qr/FCGI_ALLOW: "10\.0\.0\.0\/33" is not an IP address or CIDR/, 'a bad CIDR: refused');
    ($rc, $out) = check_config(FCGI_LISTEN => '127.0.0.1:9000, [::1]:9000', FCGI_ALLOW => '10.0.0.5, 10.0.1.0/24, fd00::/64');
    is($rc, 0, 'a good TCP configuration passes') or diag($out);
}

# ---- an instance on TCP and on a unix socket ----
my $port = free_port();
my $sock = "$dir/run/tcp-test.sock";
my $log = "$dir/log/tcp-test.log";
my %tcp_env = (FCGI_LISTEN => "127.0.0.1:$port,$sock", FCGI_ALLOW => '127.0.0.2', WORKERS => 2);

sub start {
    my ($logfile, %env) = @_;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        @ENV{ keys %env } = values %env;
        open STDOUT, '>>', $logfile or die;
        open STDERR, '>>', $logfile or die;
        exec $bin, 'serve' or die "exec: $!";
    }
    return $pid;
}
sub slurp { open my $fh, '<', $_[0] or return ''; local $/; <$fh> }
sub count_lines { my ($file, $re) = @_; scalar grep { /$re/ } split /\n/, slurp($file) }

my $pid = start($log, %tcp_env);
ok(wait_for(sub { slurp($log) =~ /listening on 127\.0\.0\.1:$port, \Q$sock\E with 2 workers/ }, 20),
   'the master listens on both') or diag(slurp($log));
ok(wait_for(sub { my ($w) = children_of($pid); @$w == 2 }, 10), 'two workers');

my $r = fcgi_get(peer => "127.0.0.1:$port", from => '127.0.0.2', uri => '/api/health');
is($r->{status}, 200, 'the allowed peer is served over TCP') or diag(explain($r));
like($r->{stdout}, qr/"database"\s*:\s*"ok"/, '... the real answer');

my $served = count_lines($log, qr/ access: GET /);
$r = fcgi_get(peer => "127.0.0.1:$port", from => '127.0.0.1', uri => '/api/health');
ok($r->{connected}, 'a stranger can open a connection (the kernel completes it)');
is($r->{bytes}, 0, '... but gets not one byte back');
ok($r->{closed}, '... and is closed at once');
ok(wait_for(sub { slurp($log) =~ /refused a FastCGI connection from 127\.0\.0\.1: not in FCGI_ALLOW/ }, 5),
   'the refusal is logged with the address');
is(count_lines($log, qr/ access: GET /), $served, 'the stranger was never served (no access line)');

$r = fcgi_get(peer => $sock, uri => '/api/health');
is($r->{status}, 200, 'the unix socket of the same master serves too (its file mode guards it)');

# connections that carry no request: empty, or not FastCGI; the workers survive them
my @workers = sort @{ (children_of($pid))[0] };
for (1 .. 4) { my $s = fcgi_connect(peer => "127.0.0.1:$port", from => '127.0.0.2') or die $!; close $s }
{
    my $s = fcgi_connect(peer => "127.0.0.1:$port", from => '127.0.0.2') or die $!;
    print $s "GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n";
    my $n = sysread($s, my $buf, 100);
    ok(!$n, 'HTTP instead of FastCGI: closed without an answer');
}
is(fcgi_get(peer => "127.0.0.1:$port", from => '127.0.0.2')->{status}, 200, 'served after empty and junk connections');
is_deeply([ sort @{ (children_of($pid))[0] } ], \@workers, 'no worker died of them');

# 24 requests at once on 2 workers, by TCP and by the socket: each answered
{
    my @kids;
    for my $i (1 .. 24) {
        my $k = fork // die;
        if (!$k) {
            my $x = fcgi_get($i % 3 ? (peer => "127.0.0.1:$port", from => '127.0.0.2') : (peer => $sock), uri => '/api/products');
            exit(($x->{status} // 0) == 200 ? 0 : 1);
        }
        push @kids, $k;
    }
    my $ok = 0;
    for (@kids) { waitpid($_, 0); $ok++ if $? == 0 }
    is($ok, 24, '24 parallel requests on both endpoints: all 200');
}

# a second master cannot take the same TCP address
{
    my $log2 = "$dir/log/tcp-test-2.log";
    my $p2 = start($log2, FCGI_LISTEN => "127.0.0.1:$port", FCGI_ALLOW => '127.0.0.2', WORKERS => 1);
    ok(wait_for(sub { waitpid($p2, WNOHANG) == $p2 }, 15), 'a second master on the same address exits');
    is($? >> 8, 1, '... with 1');
    like(slurp($log2), qr/cannot listen on 127\.0\.0\.1:$port: Address already in use/, '... saying why');
    is(fcgi_get(peer => "127.0.0.1:$port", from => '127.0.0.2')->{status}, 200, 'the first one still serves');
}

# SIGTERM: clean exit, the socket file removed, the port closed
kill 'TERM', $pid;
ok(wait_for(sub { waitpid($pid, WNOHANG) == $pid }, 15), 'SIGTERM: the master exits');
is($? >> 8, 0, '... with 0');
ok(!-e $sock, 'the unix socket is removed');
ok(!IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => 2), 'the TCP port is closed');

# IPv6, where the host has it
SKIP: {
    my $probe = eval { require IO::Socket::IP; IO::Socket::IP->new(Listen => 1, LocalHost => '::1', LocalPort => 0) };
    skip 'no IPv6 loopback here', 3 unless $probe;
    my $p6 = $probe->sockport;
    close $probe;
    my $log6 = "$dir/log/tcp-test-6.log";
    my $pid6 = start($log6, FCGI_LISTEN => "[::1]:$p6", FCGI_ALLOW => '::1/128', WORKERS => 1);
    ok(wait_for(sub { slurp($log6) =~ /listening on \[::1\]:$p6/ }, 20), 'listening on [::1]') or diag(slurp($log6));
    is(fcgi_get(peer => "[::1]:$p6", from => '::1')->{status}, 200, 'an allowed IPv6 peer is served');
    kill 'TERM', $pid6;
    waitpid($pid6, 0);
    is($? >> 8, 0, 'and the master stops cleanly');
}

done_testing;
