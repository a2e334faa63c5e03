#!/usr/bin/perl
# 51-dispatch.t: the dispatch pass books exactly the due paid orders, once, even in parallel;
# a lost answer is found at Borzo instead of booked twice; retry jobs back off and die.
use strict;
use warnings;
use Test::More;
use HTTP::Tiny;
use JSON::PP;
use LaFete::Test;
use LaFete::Fulfil;

my $tok = $ENV{DISPATCH_TOKEN};
my $dispatch = sub { req(POST => '/api/internal/dispatch', token => $tok) };
is(req(POST => '/api/internal/dispatch')->{status}, 401, 'no token 401');
is(req(POST => '/api/internal/dispatch', token => 'wrong-token-0123456789')->{status}, 401, 'wrong token 401');

my $due = make_order(slot_minutes => 60);
my $later = make_order(slot_minutes => 3 * 24 * 60);
my $unpaid = make_order(status => 'PENDING', slot_minutes => 60);
my $r = $dispatch->();
is($r->{status}, 200, 'dispatch 200') or diag($r->{content});
ok(exists $r->{json}{$_}, "summary has $_") for qw(booked bookingFailed jobsRun emailsSent emailsFailed);
ok($r->{json}{booked} >= 1, 'booked at least the due order');
is(db_one("SELECT status FROM orders WHERE id = :'p1'", $due->{id}), 'DISPATCHED', 'due order dispatched');
is(scalar creates_for($due->{number}), 1, 'one Borzo order for it');
is(scalar creates_for($later->{number}), 0, 'order outside the lead window untouched');
is(scalar creates_for($unpaid->{number}), 0, 'unpaid order untouched');
is(db_one("SELECT count(*) FROM deliveries WHERE order_id IN (:'p1', :'p2')", $later->{id}, $unpaid->{id}), 0, 'no delivery rows');
is(db_one("SELECT actor FROM order_status_history WHERE order_id = :'p1' AND to_status = 'DISPATCHED'", $due->{id}), 'system:dispatch', 'actor');
is($dispatch->()->{status}, 200, 'a second pass');
is(scalar creates_for($due->{number}), 1, 'still one Borzo order');

# two passes at once: one Borzo order per order
my @par = map { make_order(slot_minutes => 30) } 1 .. 3;
my @pids;
for (1 .. 2) {
    my $pid = fork() // die "fork: $!";
    if (!$pid) { my $x = $dispatch->(); exit($x->{status} == 200 ? 0 : 1) }
    push @pids, $pid;
}
my $ok = 0;
for (@pids) { waitpid($_, 0); $ok++ if $? == 0 }
is($ok, 2, 'both parallel passes answered 200');
for my $p (@par) {
    is(scalar creates_for($p->{number}), 1, "order $p->{number}: exactly one Borzo order");
    is(db_one("SELECT status FROM orders WHERE id = :'p1'", $p->{id}), 'DISPATCHED', "order $p->{number} dispatched");
}

# a lost answer: Borzo has the order, our row is IN_PROGRESS and stale
my $lost = make_order(slot_minutes => 45);
my $created = HTTP::Tiny->new->post("$ENV{BORZO_API_URL}/create-order", {
    headers => { 'X-DV-Auth-Token' => $ENV{BORZO_API_TOKEN}, 'Content-Type' => 'application/json' },
    content => encode_json({ matter => 'Fragile Cake', points => [
        { address => 'kitchen', contact_person => { phone => '919800000000' } },
        { address => 'customer', contact_person => { phone => '919876543210' }, client_order_id => "$lost->{number}" } ] }) });
my $borzo_id = decode_json($created->{content})->{order}{order_id};
ok($borzo_id, 'the order exists at Borzo');
sql("INSERT INTO deliveries (order_id, booking_state, attempts, attempt_started_at, created_at) "
  . "VALUES (:'p1', 'IN_PROGRESS', 1, now() - interval '5 minutes', now() - interval '5 minutes')", $lost->{id});
$r = $dispatch->();
is($r->{status}, 200, 'dispatch');
is_deeply([ sql_row("SELECT booking_state, borzo_order_id FROM deliveries WHERE order_id = :'p1'", $lost->{id}) ],
          ['BOOKED', $borzo_id], 'found the existing Borzo order');
is(scalar creates_for($lost->{number}), 1, 'no second create-order (only the one that was lost)');
is(db_one("SELECT status FROM orders WHERE id = :'p1'", $lost->{id}), 'DISPATCHED', 'dispatched');

# a fresh IN_PROGRESS row (another worker mid-call) is left alone
my $busy = make_order(slot_minutes => 45);
sql("INSERT INTO deliveries (order_id, booking_state, attempts, attempt_started_at) VALUES (:'p1', 'IN_PROGRESS', 1, now())", $busy->{id});
$dispatch->();
is(scalar creates_for($busy->{number}), 0, 'a booking in progress is not duplicated');

# retry jobs: a due job books; a job failing its last attempt is dead and the order flagged
my $admin = admin_token();
my $j = make_order();
fault(mode => 'status', status => 503);
is(req(POST => "/api/delivery/book/$j->{id}", token => $admin)->{status}, 503, '503 queues a job');
sql("UPDATE jobs SET run_at = now() - interval '1 day' WHERE order_id = :'p1'", $j->{id});
$r = $dispatch->();
ok($r->{json}{jobsRun} >= 1, 'the job ran');
is(db_one("SELECT state FROM jobs WHERE order_id = :'p1'", $j->{id}), 'done', 'job done');
is(db_one("SELECT status FROM orders WHERE id = :'p1'", $j->{id}), 'DISPATCHED', 'booked by the job');

my $k = make_order();
fault(mode => 'status', status => 503);
req(POST => "/api/delivery/book/$k->{id}", token => $admin);
sql("UPDATE jobs SET run_at = now() - interval '2 days', attempts = 4 WHERE order_id = :'p1'", $k->{id});
fault(mode => 'status', status => 503);
$r = $dispatch->();
my ($state, $attempts, $run_in) = sql_row("SELECT state, attempts, run_at > now() FROM jobs WHERE order_id = :'p1'", $k->{id});
is($state, 'dead', 'job dead after 5 attempts');
is($attempts, 5, 'attempts counted');
my ($flag, $why) = sql_row("SELECT needs_attention, attention_reason FROM orders WHERE id = :'p1'", $k->{id});
is($flag, 't', 'order flagged');
like($why, qr/book_courier gave up after 5 attempts/, 'attention reason');
my $m = make_order();
fault(mode => 'status', status => 503);
req(POST => "/api/delivery/book/$m->{id}", token => $admin);
sql("UPDATE jobs SET run_at = now() - interval '3 days' WHERE order_id = :'p1'", $m->{id});
fault(mode => 'status', status => 503);
$dispatch->();
my ($ms, $ma, $mdelay) = sql_row("SELECT state, attempts, round(extract(epoch FROM run_at - now()) / 60) FROM jobs WHERE order_id = :'p1'", $m->{id});
is($ms, 'queued', 'failed job queued again');
ok($ma == 1 && $mdelay >= 3 && $mdelay <= 4, "back-off 2^2 minutes after run 1 (got $mdelay)");

# a stale running job is requeued
sql("UPDATE jobs SET state = 'running', locked_at = now() - interval '10 minutes', run_at = now() + interval '1 hour' WHERE order_id = :'p1'", $m->{id});
$r = $dispatch->();
ok($r->{json}{jobsRequeued} >= 1, 'stale running job requeued');
is(db_one("SELECT state FROM jobs WHERE order_id = :'p1'", $m->{id}), 'queued', 'queued again');

done_testing;
