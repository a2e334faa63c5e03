#!/usr/bin/perl
# 80-faults-database.t: the fault matrix, PostgreSQL's row. The stack's
# PostgreSQL goes down in the middle of a checkout (the order's transaction,
# then the Razorpay order's) and of a dispatch pass (a courier booking), and
# comes back. Each case ends consistent: nothing half-written, nothing lost,
# nothing done twice once the client or the next pass tries again.
use strict;
use warnings;
use Test::More;
use LaFete::Test;
use LaFete::Fulfil;
use LaFete::Faults;

plan skip_all => 'external database: this test stops the private cluster' unless -d "$ENV{STACK_DIR}/pg/data";
END { pg_start() if $ENV{STACK_DIR} && -d "$ENV{STACK_DIR}/pg/data" && !pg_is_up() }

sub cart_lines { db_one("SELECT count(*) FROM cart_items WHERE cart_id = :'p1'", $_[0]) }

# ---- in the middle of the order's transaction ----
# The transaction has locked the cart and booked the slot's units when it
# meets an uncommitted order with the same idempotency key (a psql session's):
# it waits there, with its writes done, and PostgreSQL stops under it.
{
    my $s = shopper();
    my $slot = slot_at(11, '12:00:00');
    my $key = "fault-pg-$$";
    my $units = booked_units($slot);
    my ($bg, $held, $worker) = order_stuck_mid_transaction($s, $slot, $key);
    ok($worker, "the order's transaction waits mid-way (worker $worker)");
    is(db_one("SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE a.application_name = 'lafete' "
              . "AND l.locktype = 'transactionid' AND l.mode = 'ExclusiveLock'"), 1,
       'having written already (it holds a transaction id)');
    pg_stop('fast');
    my $r = finish($bg);
    is($r->{status}, 503, 'the customer is told 503') or diag($r->{content});
    is($r->{json}{error}{code}, 'DATABASE_UNAVAILABLE', 'DATABASE_UNAVAILABLE');
    $held->{release}->();
    pg_start();
    is(orders_with_key($s->{uid}, $key), 0, 'no order was written');
    is(booked_units($slot), $units, "the slot's units were not kept");
    is(cart_lines($s->{cart_id}), 1, 'the cart is intact');
    $r = place_order($s, $slot, $key);
    is($r->{status}, 201, 'the retry with the same key places the order') or diag($r->{content});
    is(orders_with_key($s->{uid}, $key), 1, 'one order');
    is(booked_units($slot), $units + 2, 'its two units booked once');
    is(cart_lines($s->{cart_id}), 0, 'the cart emptied');
    is(place_order($s, $slot, $key)->{json}{id}, $r->{json}{id}, 'a third try answers the same order');
    is(orders_with_key($s->{uid}, $key), 1, 'still one');
}

# ---- in the middle of the Razorpay order's creation ----
# Razorpay has made the order and holds its answer; PostgreSQL stops before we store its id.
{
    my $s = shopper();
    my $o = place_order($s, slot_at(11, '14:00:00'), "fault-pg-pay-$$");
    is($o->{status}, 201, 'an order to pay');
    my $number = $o->{json}{orderNumber};
    rzp_control('/_fake/fault', { match => '^POST /v1/orders$', mode => 'late', delay_ms => 2500 });
    my $bg = in_background(POST => '/api/payments/create-order', token => $s->{token}, json => { orderId => $o->{json}{id} });
    ok(wait_for(sub { rzp_api(GET => "/orders?receipt=$number")->{count} }, 10), 'Razorpay made its order');
    pg_stop('fast');
    my $r = finish($bg);
    is($r->{status}, 503, 'create-order answers 503') or diag($r->{content});
    pg_start();
    is(db_one("SELECT status FROM payments WHERE order_id = :'p1'", $o->{json}{id}), 'CREATING',
       'our payment still says its creation is unfinished');
    $r = req(POST => '/api/payments/create-order', token => $s->{token}, json => { orderId => $o->{json}{id} });
    is($r->{status}, 200, 'the retry answers 200') or diag($r->{content});
    my $list = rzp_api(GET => "/orders?receipt=$number");
    is($list->{count}, 1, 'Razorpay still holds one order for this receipt: found, not made again');
    is($r->{json}{order_id}, $list->{items}[0]{id}, 'and that is the one we answer');
    my $paid = rzp_control('/_fake/checkout', { order_id => $r->{json}{order_id}, status => 'captured' });
    is(req(POST => '/api/payments/verify', token => $s->{token}, json => $paid)->{status}, 200, 'paid');
    is(db_one("SELECT count(*) FROM order_status_history WHERE order_id = :'p1' AND to_status = 'CONFIRMED'", $o->{json}{id}), 1,
       'confirmed once');
}

# ---- in the middle of a dispatch pass ----
# The pass committed the booking's IN_PROGRESS row and Borzo made the order; PostgreSQL stops
# while Borzo holds its answer, so the booking's second transaction cannot happen.
{
    dispatch_pass();    # whatever earlier tests left due is booked now, not during the fault
    my $o = make_order(slot_minutes => 60);
    fault(mode => 'late', delay_ms => 2500);
    my $bg = in_background(POST => '/api/internal/dispatch', token => $ENV{DISPATCH_TOKEN});
    my $bid;
    wait_for(sub {
        for my $b (values %{ borzo_state()->{orders} || {} }) {
            $bid = $b->{order_id} if grep { ($_->{client_order_id} // '') eq "$o->{number}" } @{ $b->{points} || [] };
        }
        $bid;
    }, 15);
    ok($bid, "Borzo made order $bid for the pass");
    pg_stop('fast');
    my $r = finish($bg);
    is($r->{status}, 503, 'the pass answers 503') or diag($r->{content});
    pg_start();
    is_deeply([ sql_row("SELECT booking_state, borzo_order_id FROM deliveries WHERE order_id = :'p1'", $o->{id}) ],
              ['IN_PROGRESS', ''], 'the booking is left IN_PROGRESS, its outcome unknown to us');
    is(db_one("SELECT status FROM orders WHERE id = :'p1'", $o->{id}), 'CONFIRMED', 'the order is not dispatched');
    is(dispatch_pass()->{status}, 200, 'the next pass');
    is(scalar creates_for($o->{number}), 1, 'leaves a booking that may still be running alone');
    # two minutes later (BOOKING_STALE_MINUTES) the attempt is presumed lost
    sql("UPDATE deliveries SET attempt_started_at = attempt_started_at - interval '3 minutes' WHERE order_id = :'p1'", $o->{id});
    $r = dispatch_pass();
    is($r->{status}, 200, 'a pass after that');
    is_deeply([ sql_row("SELECT booking_state, borzo_order_id FROM deliveries WHERE order_id = :'p1'", $o->{id}) ],
              ['BOOKED', $bid], "finds Borzo's order and records it");
    is(scalar creates_for($o->{number}), 1, 'no second create-order');
    is(db_one("SELECT count(*) FROM order_status_history WHERE order_id = :'p1' AND to_status = 'DISPATCHED'", $o->{id}), 1,
       'dispatched once');
    is(db_one("SELECT count(*) FROM emails WHERE order_id = :'p1' AND kind = 'on_the_way'", $o->{id}), 1, 'one "on the way" email');
}

is(req(GET => '/api/health')->{status}, 200, 'the stack is healthy again');
done_testing;
