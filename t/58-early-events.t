#!/usr/bin/perl
# 58-early-events.t: no partner event is dropped. A Borzo callback that arrives
# while its booking is still waiting for Borzo's answer (so before the booking's
# transaction stores the Borzo order id), a Razorpay event that arrives before
# the Razorpay order's id is stored, and one that arrives before a refund's id
# is stored: each is kept and applied by the transaction that records its
# subject, once. The races are made deterministic with the fakes' "late"
# fault: the partner acts at once and holds its answer while the event comes.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use LaFete::Test;
use LaFete::Fulfil;
use LaFete::Faults;
use FakeBorzo qw(sign_callback);
use FakeRazorpay qw(sign_webhook webhook_body event_id);

plan skip_all => 'run through script/test' unless $ENV{FAKE_BORZO_URL} && $ENV{FAKE_RAZORPAY_URL};
my $admin = admin_token();
my $J = JSON::PP->new->utf8->canonical;

sub kept { db_one("SELECT count(*) FROM early_events WHERE source = :'p1' AND subject = :'p2'", @_) }

# The Borzo order the fake made for our order number (while its answer is held).
sub borzo_order_of {
    my ($number) = @_;
    my $found;
    wait_for(sub {
        for my $o (values %{ borzo_state()->{orders} || {} }) {
            $found = $o->{order_id} if grep { ($_->{client_order_id} // '') eq "$number" } @{ $o->{points} || [] };
        }
        $found;
    }, 10);
    return $found;
}

# POSTs a Borzo callback (already advanced at the fake), signed.
sub callback {
    my ($body) = @_;
    my $raw = ref $body ? $J->encode($body) : $body;
    return req(POST => '/api/delivery/webhook', raw => $raw, type => 'application/json',
               headers => { 'X-DV-Signature' => sign_callback($raw, $ENV{BORZO_CALLBACK_SECRET}) });
}

# ---- Borzo: callbacks during the booking ----
{
    my $o = make_order();
    fault(mode => 'late', delay_ms => 4000);
    my $booking = in_background(POST => "/api/delivery/book/$o->{id}", token => $admin);
    my $bid = borzo_order_of($o->{number});
    ok($bid, "Borzo made order $bid and holds its answer");
    is_deeply([ sql_row("SELECT booking_state, borzo_order_id FROM deliveries WHERE order_id = :'p1'", $o->{id}) ],
              ['IN_PROGRESS', ''], 'our booking has not recorded it yet');
    my $r = callback(fake_post(fake_borzo(), '/_fake/advance', { order_id => $bid + 0, delivery_status => 'courier_assigned',
                                                                courier => { name => 'Ravi', surname => 'Sharma', phone => '919800000001' } }));
    is($r->{status}, 200, 'courier_assigned before the booking committed: 200');
    is($r->{json}{status}, 'kept', 'kept, not thrown away');
    $r = callback(fake_post(fake_borzo(), '/_fake/advance', { order_id => $bid + 0, delivery_status => 'parcel_picked_up' }));
    is($r->{json}{status}, 'kept', 'parcel_picked_up: kept too');
    is(kept('borzo', $bid), 2, 'two events kept');
    my $b = finish($booking);
    is($b->{status}, 200, 'the booking answers 200') or diag($b->{content});
    cmp_ok($b->{seconds}, '>=', 3, 'after Borzo held its answer');
    is_deeply([ sql_row("SELECT booking_state, borzo_order_id, status, courier_name, picked_up_at IS NOT NULL "
                        . "FROM deliveries WHERE order_id = :'p1'", $o->{id}) ],
              ['BOOKED', $bid, 'PICKED_UP', 'Ravi Sharma', 't'], 'the booking applied both, in order');
    is(kept('borzo', $bid), 0, 'nothing left kept');
    is(scalar creates_for($o->{number}), 1, 'one Borzo order');
    $r = callback(fake_post(fake_borzo(), '/_fake/advance', { order_id => $bid + 0, delivery_status => 'finished' }));
    is($r->{json}{status}, 'applied', 'a callback after the commit is applied at once');
    is(db_one("SELECT status FROM orders WHERE id = :'p1'", $o->{id}), 'DELIVERED', 'order DELIVERED');
}

# ---- Borzo: the completion itself arrives before the booking committed ----
{
    my $o = make_order();
    fault(mode => 'late', delay_ms => 3000);
    my $booking = in_background(POST => "/api/delivery/book/$o->{id}", token => $admin);
    my $bid = borzo_order_of($o->{number});
    my $fin = fake_post(fake_borzo(), '/_fake/advance', { order_id => $bid + 0, status => 'completed' });
    is(callback($fin)->{json}{status}, 'kept', 'order completed, early: kept');
    is(callback($fin)->{json}{status}, 'kept', 'Borzo repeats it: kept again (applied once below)');
    is(finish($booking)->{status}, 200, 'booked');
    is(db_one("SELECT status FROM orders WHERE id = :'p1'", $o->{id}), 'DELIVERED', 'delivered in the booking\'s own transaction');
    is(db_one("SELECT count(*) FROM order_status_history WHERE order_id = :'p1' AND to_status = 'DISPATCHED'", $o->{id}), 1, 'one DISPATCHED row');
    is(db_one("SELECT count(*) FROM order_status_history WHERE order_id = :'p1' AND to_status = 'DELIVERED'", $o->{id}), 1, 'one DELIVERED row');
    is_deeply([ map { $_->[0] } sql("SELECT kind FROM emails WHERE order_id = :'p1' ORDER BY id", $o->{id}) ],
              ['on_the_way', 'delivered'], 'each email once');
    is(kept('borzo', $bid), 0, 'nothing left kept');
}

# ---- Razorpay: a payment event before the Razorpay order's id is stored ----
my $user = register_user();
sub pending_order {
    my ($id) = sql_row(
        "INSERT INTO orders (user_id, address, subtotal, delivery_fee, total_amount, delivery_slot, slot_units, tracking_token) "
        . "VALUES (:'p1', '{\"street\":\"1 MG Road\",\"city\":\"Bengaluru\",\"pincode\":\"560001\"}', 999.00, 51.00, 1050.00, "
        . "now() + interval '3 days', 1, md5(random()::text)) RETURNING id", $user->{user}{id});
    return ($id, db_one("SELECT order_number FROM orders WHERE id = :'p1'", $id));
}
sub hook {
    my ($body, $ev) = @_;
    return req(POST => '/api/payments/webhook', raw => $body, type => 'application/json',
               headers => { 'X-Razorpay-Signature' => sign_webhook($body, $ENV{RAZORPAY_WEBHOOK_SECRET}),
                            'X-Razorpay-Event-Id' => $ev // event_id() });
}
# The fake's Razorpay order with our receipt, once made.
sub rzp_order_of {
    my ($receipt) = @_;
    my $id;
    wait_for(sub { my $l = rzp_api(GET => "/orders?receipt=$receipt"); $id = $l && $l->{count} ? $l->{items}[0]{id} : undef }, 10);
    return $id;
}
{
    my ($oid, $number) = pending_order();
    rzp_control('/_fake/fault', { match => '^POST /v1/orders$', mode => 'late', delay_ms => 3000 });
    my $co = in_background(POST => '/api/payments/create-order', token => $user->{token}, json => { orderId => $oid });
    my $z = rzp_order_of($number);
    ok($z, "Razorpay made $z and holds its answer");
    is(db_one("SELECT razorpay_order_id IS NULL FROM payments WHERE order_id = :'p1'", $oid), 't', 'our payment has no Razorpay id yet');
    my $paid = rzp_control('/_fake/checkout', { order_id => $z, status => 'captured', full => JSON::PP::true });
    my $ev = event_id();
    my $body = webhook_body(event => 'payment.captured', payment => $paid->{payment});
    my $r = hook($body, $ev);
    is($r->{status}, 200, 'payment.captured before the id is stored: 200');
    is($r->{json}{status}, 'kept', 'kept');
    is(hook($body, $ev)->{json}{status}, 'duplicate', 'its retry is a duplicate');
    my $a = hook(webhook_body(event => 'payment.authorized', payment => { %{ $paid->{payment} }, status => 'authorized' }));
    is($a->{json}{status}, 'kept', 'payment.authorized after it (out of order): kept');
    is(kept('razorpay', $z), 2, 'two events kept');
    my $c = finish($co);
    is($c->{status}, 200, 'create-order answers 200') or diag($c->{content});
    is($c->{json}{order_id}, $z, 'with that Razorpay order');
    is_deeply([ sql_row("SELECT o.status, p.status, p.razorpay_payment_id FROM orders o JOIN payments p ON p.order_id = o.id "
                        . "WHERE o.id = :'p1'", $oid) ],
              ['CONFIRMED', 'CAPTURED', $paid->{payment}{id}], 'confirmed by the kept event; the later authorisation changed nothing');
    is(db_one("SELECT count(*) FROM order_status_history WHERE order_id = :'p1' AND to_status = 'CONFIRMED'", $oid), 1, 'confirmed once');
    is(kept('razorpay', $z), 0, 'nothing left kept');
    is(hook(webhook_body(event => 'payment.captured', payment => $paid->{payment}))->{json}{status}, 'already_confirmed',
       'another delivery of the capture afterwards: already_confirmed');
}

# ---- Razorpay: a refund event before the refund's id is stored ----
{
    my ($oid, $number) = pending_order();
    my $co = req(POST => '/api/payments/create-order', token => $user->{token}, json => { orderId => $oid });
    my $paid = rzp_control('/_fake/checkout', { order_id => $co->{json}{order_id}, status => 'captured' });
    is(req(POST => '/api/payments/verify', token => $user->{token}, json => $paid)->{status}, 200, 'paid and verified');
    rzp_control('/_fake/settings', { refund_status => 'pending' });    # as Razorpay answers a normal-speed refund
    rzp_control('/_fake/fault', { match => '^POST /v1/payments/.*/refund$', mode => 'late', delay_ms => 3000 });
    my $refund = in_background(POST => "/api/admin/orders/$oid/refund", token => $admin);
    my $rf;
    wait_for(sub { $rf = rzp_api(GET => "/payments/$paid->{razorpay_payment_id}/refunds"); $rf && $rf->{count} }, 10);
    my $entity = $rf->{items}[0];
    ok($entity && $entity->{id}, "Razorpay made refund $entity->{id} and holds its answer");
    my $r = hook(webhook_body(event => 'refund.processed', refund => { %$entity, status => 'processed' },
                              payment => { id => $paid->{razorpay_payment_id}, entity => 'payment', amount => 105000,
                                           currency => 'INR', status => 'refunded', order_id => $co->{json}{order_id} }));
    is($r->{json}{status}, 'kept', 'refund.processed before the refund id is stored: kept');
    my $x = finish($refund);
    is($x->{status}, 200, 'the refund answers 200') or diag($x->{content});
    is_deeply([ sql_row("SELECT status, razorpay_refund_id FROM refunds WHERE order_id = :'p1'", $oid) ],
              ['PROCESSED', $entity->{id}], 'Razorpay answered "pending"; the kept event made it PROCESSED');
    is(kept('razorpay', $entity->{id}), 0, 'nothing left kept');
    rzp_control('/_fake/settings', { refund_status => 'processed' });
}

# ---- the dispatch pass: kept events whose subject is now recorded, and expiry ----
{
    my ($oid, $number) = pending_order();
    my $co = req(POST => '/api/payments/create-order', token => $user->{token}, json => { orderId => $oid });
    my $z = $co->{json}{order_id};
    # a worker that died after storing the id and before applying what was kept leaves this
    my $failed = webhook_body(event => 'payment.failed', payment => {
        id => 'pay_KeptEvent00001', entity => 'payment', amount => 105000, currency => 'INR', status => 'failed',
        order_id => $z, method => 'upi', error_code => 'BAD_REQUEST_ERROR', error_description => 'declined by the bank' });
    sql("INSERT INTO early_events (source, subject, event_type, body) VALUES ('razorpay', :'p1', 'payment.failed', :'p2'::jsonb)",
        $z, $failed);
    sql("INSERT INTO early_events (source, subject, event_type, body, received_at) "
        . "VALUES ('borzo', '999000111', 'order_changed', '{\"event_type\":\"order_changed\"}', now() - interval '4 days')");
    my $r = dispatch_pass();
    is($r->{status}, 200, 'dispatch 200');
    cmp_ok($r->{json}{earlyEventsApplied}, '>=', 1, 'earlyEventsApplied');
    cmp_ok($r->{json}{earlyEventsExpired}, '>=', 1, 'earlyEventsExpired');
    is_deeply([ sql_row("SELECT status, error_description FROM payments WHERE order_id = :'p1'", $oid) ],
              ['FAILED', 'declined by the bank'], 'the kept payment.failed applied by the pass');
    is(kept('razorpay', $z), 0, 'and no longer kept');
    is(kept('borzo', '999000111'), 0, 'an event nobody claimed for 3 days is deleted');
    is(db_one("SELECT count(*) FROM early_events WHERE received_at < now() - interval '3 days'"), 0, 'none older');
}

done_testing;
