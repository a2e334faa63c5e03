#!/usr/bin/perl
# 81-faults-worker.t: the fault matrix, the worker's row. A worker is killed
# (SIGKILL) in the middle of an order's transaction: after the cart was locked
# and the slot's units booked, while it waits on a row a psql session holds.
# Nothing of that transaction survives, the master replaces the worker, and
# the customer's retry places the order once.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time);
use LaFete::Test;
use LaFete::Fulfil;
use LaFete::Faults;

my $workers = $ENV{WORKERS};
my $s = shopper();
my $slot = slot_at(12, '12:00:00');
my $key = "fault-kill-$$";
my $units = booked_units($slot);

# an uncommitted order with the same key: the app's INSERT waits for it, its earlier writes done
my ($bg, $held, $worker, $backend) = order_stuck_mid_transaction($s, $slot, $key);
ok($worker, "worker $worker is inside the order's transaction (backend $backend)");
is(db_one("SELECT booked_units FROM delivery_slots WHERE slot_start = :'p1'::timestamptz", $slot), undef,
   'its slot booking is not visible to anyone else (uncommitted)');

kill 'KILL', $worker;
my $r = finish($bg);
is($r->{status}, 503, 'the customer gets 503 (nginx: the worker died under the request)');
is($r->{json}{error}{code}, 'UNAVAILABLE', 'UNAVAILABLE, said by nginx');
my $t0 = time;
ok(wait_for(sub { my @p = worker_pids(); @p == $workers && !grep { $_ == $worker } @p }, 5), 'the master replaced the worker');
diag(sprintf 'replaced in %.2f s', time - $t0);

# the dead worker's session ends when PostgreSQL next talks to it: once the row it waits for is free
$held->{release}->();
ok(wait_for(sub { !db_one("SELECT count(*) FROM pg_stat_activity WHERE pid = :'p1'", $backend) }, 10),
   "the killed worker's database session is gone");
is(orders_with_key($s->{uid}, $key), 0, 'no order written');
is(booked_units($slot), $units, "the slot's units were given back (never committed)");
is(db_one("SELECT count(*) FROM cart_items WHERE cart_id = :'p1'", $s->{cart_id}), 1, 'the cart is intact');
is(db_one("SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE a.application_name = 'lafete' "
          . "AND l.locktype = 'transactionid'"), 0, 'no app transaction left open');

$r = place_order($s, $slot, $key);
is($r->{status}, 201, 'the retry with the same key places the order') or diag($r->{content});
is(orders_with_key($s->{uid}, $key), 1, 'one order');
is(booked_units($slot), $units + 2, 'its units booked once');
is(db_one("SELECT count(*) FROM cart_items WHERE cart_id = :'p1'", $s->{cart_id}), 0, 'the cart emptied');
is(place_order($s, $slot, $key)->{json}{id}, $r->{json}{id}, 'another retry answers the same order');

# the metrics saw it: a worker that exited by a signal
my $m = req(GET => '/metrics')->{content} // '';
like($m, qr/^lafete_worker_exits_total\{how="signal"\} [1-9]/m, 'counted in /metrics as an exit by signal');

done_testing;
