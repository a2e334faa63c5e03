#!/usr/bin/perl
# 13-no-waiting.t: no request waits behind a free worker. With FastCGI
# keep-alive, libfcgi pinned each worker to a connection nginx kept, and under
# load requests sent on newer connections waited in the socket's backlog for
# seconds (doc/pitfalls.md §1.7). Now every request is its own connection: under
# 16 clients for 8 s on loopback, nginx answers every request in under 1 s. The
# bound is read from nginx's own clock ($request_time in its access log: from
# the request's first byte to the answer's last, waiting for a worker included),
# not from the clients', which the clients' own CPU use on a 2-core machine
# would blur. Against the old configuration (fastcgi_keep_conn on, upstream
# keepalive 3, TEST_WORKERS=4: the README's former rule) it fails: 13 requests
# failed, the slowest took 5.6 s at nginx and 62 s at its client (2026-12-02);
# with TEST_WORKERS=4 and no keep-alive it passes.
use strict;
use warnings;
use Test::More;
use HTTP::Tiny;
use Time::HiRes qw(time);
use POSIX ();
use LaFete::Test;

my $clients = 16;
my $seconds = 8;
my $out = "$ENV{STACK_DIR}/no-waiting";
mkdir $out;
my $access = "$ENV{STACK_DIR}/log/nginx-access.log";
my $from = -s $access;
my @kids;
for my $k (1 .. $clients) {
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        my $http = HTTP::Tiny->new(verify_SSL => 0, timeout => 10, keep_alive => 1);
        my ($n, $bad, $max) = (0, 0, 0);
        my $end = time + $seconds;
        while (time < $end) {
            my $path = $n % 2 ? '/api/health' : '/api/products?q=cake';
            my $t0 = time;
            my $r = $http->get(base_url() . $path);
            my $took = time - $t0;
            $max = $took if $took > $max;
            $bad++ if $r->{status} != 200;
            $n++;
        }
        open my $fh, '>', "$out/$k" or POSIX::_exit(1);
        print $fh "$n $bad $max\n";
        close $fh;
        POSIX::_exit(0);
    }
    push @kids, $pid;
}
waitpid($_, 0) for @kids;
my ($n, $bad, $max) = (0, 0, 0);
for my $k (1 .. $clients) {
    open my $fh, '<', "$out/$k" or do { fail("client $k reported nothing"); next };
    my ($cn, $cb, $cm) = split ' ', scalar <$fh>;
    $n += $cn; $bad += $cb; $max = $cm if $cm > $max;
}
ok($n > $clients * 4, "$n requests from $clients clients in $seconds s");
is($bad, 0, 'every answer 200');

sleep 1;    # nginx writes its log lines as it answers
open my $log, '<', $access or die "$access: $!";
seek $log, $from, 0;
my ($logged, $slowest) = (0, 0);
while (my $line = <$log>) {
    next unless $line =~ m{"GET /api/(?:health|products)" 200 \d+ ([\d.]+)s };
    $logged++;
    $slowest = $1 if $1 > $slowest;
}
ok($logged >= $n, "nginx logged the $n requests ($logged lines)");
ok($slowest < 1.0, sprintf('the slowest took %.3f s at nginx (under 1 s)', $slowest));
diag(sprintf 'slowest as the clients saw it: %.3f s', $max);

done_testing;
