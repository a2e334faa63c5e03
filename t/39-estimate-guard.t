#!/usr/bin/perl
# 39-estimate-guard.t: the public estimate cannot spend the shop's Borzo quota or
# stall the workers: points outside the delivery area are refused before any
# query or call, a quote waits at most 3 s, at most WORKERS-1 workers wait on
# Borzo at once (503 PARTNER_BUSY beyond), old quotes are pruned by the dispatch
# pass, and nginx rate-limits the endpoint per address.
use strict;
use warnings;
use Test::More;
use HTTP::Tiny;
use Time::HiRes qw(time sleep);
use POSIX ();
use LaFete::Test;

my $F = $ENV{FAKE_BORZO_URL};
sub calc_requests { scalar grep { $_->{path} =~ m{/calculate-order$} } @{ fake_get($F, '/_fake/requests') } }
sub fault { fake_post($F, '/_fake/fault', { match => 'calculate-order', @_ }) }
fake_post($F, '/_fake/reset');

# outside the area: New York, Antarctica, a point 30 km out (the radius is 25 km)
my ($quotes) = psql_row('SELECT count(*) FROM delivery_quotes');
for my $p ([40.7128, -74.0060, 'New York'], [-75.0, 0.0, 'Antarctica'], [13.2416, 77.5946, '30 km north']) {
    my $r = req(GET => "/api/delivery/estimate?lat=$p->[0]&lng=$p->[1]");
    is($r->{status}, 422, "$p->[2]: 422");
    is($r->{json}{error}{code}, 'OUT_OF_DELIVERY_AREA', "$p->[2]: OUT_OF_DELIVERY_AREA");
}
is(calc_requests(), 0, 'Borzo was never asked');
is((psql_row('SELECT count(*) FROM delivery_quotes'))[0], $quotes, 'nothing cached');

# a slow Borzo: a quote waits 3 s, not 10
fault(mode => 'timeout', delay_ms => 8000, count => 1);
my $t0 = time;
my $r = req(GET => '/api/delivery/estimate?lat=12.9811&lng=77.6011');
my $took = time - $t0;
is($r->{status}, 503, 'Borzo silent: 503');
is($r->{json}{error}{code}, 'DELIVERY_UNAVAILABLE', 'DELIVERY_UNAVAILABLE');
ok($took < 6, sprintf('answered after %.1f s (the quote timeout is 3 s)', $took));

# while one worker waits on Borzo, the others do not join it (WORKERS=2: one may wait)
SKIP: {
    my $workers = scalar worker_pids();
    skip "needs exactly 2 workers (has $workers)", 4 unless $workers == 2;
    fault(mode => 'timeout', delay_ms => 8000, count => 1);
    my $pid = fork // die;
    if (!$pid) {
        my $x = HTTP::Tiny->new(verify_SSL => 0, timeout => 20)->get(base_url() . '/api/delivery/estimate?lat=12.9822&lng=77.6022');
        POSIX::_exit($x->{status} == 503 ? 0 : 1);
    }
    sleep 1;    # the first one is waiting on Borzo now
    my $t1 = time;
    my $busy = req(GET => '/api/delivery/estimate?lat=12.9833&lng=77.6033');
    is($busy->{status}, 503, 'a second quote while one waits: 503');
    is($busy->{json}{error}{code}, 'PARTNER_BUSY', 'PARTNER_BUSY');
    ok(time - $t1 < 1.5, 'at once, without waiting');
    is(req(GET => '/api/products')->{status}, 200, 'the catalog answers meanwhile');
    waitpid($pid, 0);
    is($? >> 8, 0, 'the waiting one got its 503 in time');
}
like(scrape_metrics(), qr/^lafete_requests_refused_total\{reason="overload"\} [1-9]/m, 'refusals are counted in /metrics');
is(req(GET => '/api/delivery/estimate?lat=12.9844&lng=77.6044')->{status}, 200, 'Borzo back: a quote again');

# the dispatch pass prunes quotes past their 10 minutes
psql("INSERT INTO delivery_quotes (lat_key, lng_key, amount, fetched_at) VALUES (12.777, 77.777, 99.00, now() - interval '2 hours') "
     . "ON CONFLICT (lat_key, lng_key) DO UPDATE SET fetched_at = EXCLUDED.fetched_at");
my $d = req(POST => '/api/internal/dispatch', token => $ENV{DISPATCH_TOKEN});
is($d->{status}, 200, 'a dispatch pass');
ok($d->{json}{quotesPruned} >= 1, "quotesPruned $d->{json}{quotesPruned}");
is((psql_row('SELECT count(*) FROM delivery_quotes WHERE lat_key = 12.777'))[0], 0, 'the old quote is gone');

# nginx: ESTIMATE_RATE per address (the tests run with 50 r/s, burst 100)
{
    my @kids;
    for my $k (1 .. 10) {
        my $pid = fork // die;
        if (!$pid) {
            my $http = HTTP::Tiny->new(verify_SSL => 0, timeout => 20, keep_alive => 1);
            for (1 .. 40) {    # outside the area: cheap, no Borzo
                my $x = $http->get(base_url() . '/api/delivery/estimate?lat=40.7&lng=-74.0');
                POSIX::_exit(1) if $x->{status} == 429 && $x->{content} =~ /"RATE_LIMITED"/;
                POSIX::_exit(2) unless $x->{status} == 422 || $x->{status} == 429;
            }
            POSIX::_exit(0);
        }
        push @kids, $pid;
    }
    my %by;
    for (@kids) { waitpid($_, 0); $by{ $? >> 8 }++ }
    ok($by{1}, 'a storm of estimates gets 429 RATE_LIMITED from nginx');
    ok(!$by{2}, 'and nothing but 422 and 429');
    ok(wait_for(sub { req(GET => '/api/delivery/estimate?lat=40.7&lng=-74.0')->{status} == 422 }, 10), 'the limit drains');
}

sub scrape_metrics { HTTP::Tiny->new(verify_SSL => 0)->get(base_url() . '/metrics')->{content} }

done_testing;
