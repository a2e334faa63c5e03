#!/usr/bin/perl
# 45-refunds.t: POST /api/admin/orders/{id}/refund: cancel, refund through Razorpay, release the slot, queue on failure.
use strict;
use warnings;
use Test::More;
use LaFete::Test;

my $FAKE = $ENV{FAKE_RAZORPAY_URL} or plan skip_all => 'run through script/test';

sub db { psql(@_) }	# :'p1'... bound by psql
sub db_row { my @r = db(@_); return $r[0] ? @{ $r[0] } : () }

my $user = register_user();
my $admin = admin_token();
my $slot_n = 0;
# A paid (CONFIRMED, CAPTURED) order booked into its own delivery slot: [order id, slot, rzp payment id].
sub paid_order {
    my ($slot) = db_row("SELECT (date_trunc('hour', now()) + interval '4 days' + make_interval(hours => :'p1'::int))::text",
                      $$ % 500 + ++$slot_n);
    db("INSERT INTO delivery_slots (slot_start, capacity_units, booked_units) VALUES (:'p1', 10, 3)", $slot);
    my ($oid) = db_row(
        "INSERT INTO orders (user_id, address, subtotal, delivery_fee, total_amount, delivery_slot, slot_units, tracking_token) "
        . "VALUES (:'p1', '{\"street\":\"1 MG Road\",\"city\":\"Bengaluru\",\"pincode\":\"560001\"}', 1500.00, 60.50, 1560.50, "
        . ":'p2', 3, md5(random()::text)) RETURNING id", $user->{user}{id}, $slot);
    my $c = req(POST => '/api/payments/create-order', token => $user->{token}, json => { orderId => $oid });
    my $pay = fake_post($FAKE, '/_fake/checkout', { order_id => $c->{json}{order_id}, status => 'captured' });
    my $v = req(POST => '/api/payments/verify', token => $user->{token}, json => $pay);
    die "verify: $v->{content}" unless $v->{status} == 200;
    return ($oid, $slot, $pay->{razorpay_payment_id});
}
sub refund_posts {
    my ($pay_id) = @_;
    return grep { $_->{method} eq 'POST' && $_->{path} eq "/v1/payments/$pay_id/refund" } @{ fake_get($FAKE, '/_fake/requests') || [] };
}

# ---- the happy path
my ($oid, $slot, $pay_id) = paid_order();
is req(POST => "/api/admin/orders/$oid/refund", token => $user->{token})->{status}, 403, 'customers may not use it';
is req(POST => '/api/admin/orders/not-a-uuid/refund', token => $admin)->{status}, 404, 'a non-UUID id is 404';
is req(POST => '/api/admin/orders/6f1c1b2a-0000-4000-8000-000000000000/refund', token => $admin)->{status}, 404, 'unknown order 404';

my $r = req(POST => "/api/admin/orders/$oid/refund", token => $admin);
is $r->{status}, 200, 'admin refund: 200' or diag $r->{content};
is $r->{json}{status}, 'CANCELLED', 'order CANCELLED';
is $r->{json}{refund}{status}, 'PROCESSED', 'refund PROCESSED';
is $r->{json}{refund}{amount}, '1560.50', 'the admin refunds everything';
like $r->{json}{refund}{razorpayRefundId}, qr/^rfnd_/, 'Razorpay refund id';
my @posts = refund_posts($pay_id);
is scalar @posts, 1, 'one refund POST at Razorpay';
my $sent = json_of($posts[0]{body});
is $sent->{amount}, 156050, 'amount sent in paise';
my ($key) = db_row("SELECT idempotency_key FROM refunds WHERE order_id = :'p1'", $oid);
like $key, qr/^[A-Za-z0-9_-]{10,}$/, 'an idempotency key of Razorpay\'s alphabet';
is $posts[0]{headers}{'x-refund-idempotency'}, $key, 'X-Refund-Idempotency carries the stored key';
is_deeply [db_row("SELECT f.status, p.status, o.status FROM refunds f JOIN payments p ON p.id = f.payment_id JOIN orders o ON o.id = f.order_id WHERE f.order_id = :'p1'", $oid)],
    ['PROCESSED', 'REFUNDED', 'CANCELLED'], 'refund PROCESSED, payment REFUNDED, order CANCELLED';
is_deeply [db_row("SELECT booked_units FROM delivery_slots WHERE slot_start = :'p1'", $slot)], [0], 'slot units released';
is_deeply [db_row("SELECT state FROM jobs WHERE kind = 'refund' AND order_id = :'p1'", $oid)], ['done'], 'the safety job is closed';

$r = req(POST => "/api/admin/orders/$oid/refund", token => $admin);
is $r->{status}, 200, 'a repeat answers 200';
is scalar refund_posts($pay_id), 1, 'and refunds nothing twice';
is_deeply [db_row("SELECT booked_units FROM delivery_slots WHERE slot_start = :'p1'", $slot)], [0], 'units released once';

# ---- an unpaid order: cancelled, nothing to refund
my ($unpaid) = db_row(
    "INSERT INTO orders (user_id, address, subtotal, delivery_fee, total_amount, delivery_slot, slot_units, tracking_token) "
    . "VALUES (:'p1', '{\"street\":\"1 MG Road\",\"city\":\"Bengaluru\",\"pincode\":\"560001\"}', 100.00, 0, 100.00, now() + interval '3 days', 1, md5(random()::text)) RETURNING id", $user->{user}{id});
$r = req(POST => "/api/admin/orders/$unpaid/refund", token => $admin);
is_deeply [$r->{status}, $r->{json}{status}, $r->{json}{refund}], [200, 'CANCELLED', undef], 'unpaid: cancelled, no refund';

# ---- an order past CONFIRMED cannot be cancelled
my ($baking) = paid_order();
db("UPDATE orders SET status = 'BAKING' WHERE id = :'p1'", $baking);
is req(POST => "/api/admin/orders/$baking/refund", token => $admin)->{status}, 409, 'BAKING: 409';

# ---- Razorpay down: PENDING refund and a queued job
my ($o2, $slot2, $pay2) = paid_order();
fake_post($FAKE, '/_fake/fault', { match => '^POST /v1/payments/.*/refund$', mode => 'status', status => 503, count => 1 });
$r = req(POST => "/api/admin/orders/$o2/refund", token => $admin);
is $r->{status}, 200, 'Razorpay down: the cancel still answers 200' or diag $r->{content};
is $r->{json}{status}, 'CANCELLED', 'order CANCELLED';
is $r->{json}{refund}{status}, 'PENDING', 'refund PENDING';
like $r->{json}{refund}{lastError}, qr/unavailable/, 'with the last error';
is_deeply [db_row("SELECT p.status FROM payments p WHERE p.order_id = :'p1'", $o2)], ['CAPTURED'], 'payment still CAPTURED';
is_deeply [db_row("SELECT state, payload->>'refund_id' FROM jobs WHERE kind = 'refund' AND order_id = :'p1'", $o2)],
    ['queued', $r->{json}{refund}{id}], 'a refund job is queued for the dispatch pass';
my ($key2) = db_row("SELECT idempotency_key FROM refunds WHERE order_id = :'p1'", $o2);
$r = req(POST => "/api/admin/orders/$o2/refund", token => $admin);
is $r->{json}{refund}{status}, 'PROCESSED', 'a retry goes through';
my @p2 = refund_posts($pay2);
is scalar @p2, 2, 'two refund POSTs';
is_deeply [map { $_->{headers}{'x-refund-idempotency'} } @p2], [$key2, $key2], 'both with the same idempotency key';
is scalar db("SELECT 1 FROM refunds WHERE order_id = :'p1'", $o2), 1, 'one refunds row';

done_testing;
