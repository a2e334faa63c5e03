#!/usr/bin/perl
# 47-reconcile.t: the dispatch pass reconciles payments with Razorpay: a lost verify
# confirms the order; money that arrives after the order expired is refunded.
use strict;
use warnings;
use Test::More;
use POSIX qw(strftime);
use LaFete::Test;

my $IST = 5 * 3600 + 1800;
sub day { strftime('%Y-%m-%d', gmtime(time + $IST + $_[0] * 86400)) }
sub dispatch { req(POST => '/api/internal/dispatch', headers => { Authorization => "Bearer $ENV{DISPATCH_TOKEN}" }) }

my ($pid) = psql_row("INSERT INTO products (slug, name, base_price, lead_time_hours) "
                     . "VALUES ('reconcile-$$', 'Reconcile Cake', 999, 12) RETURNING id");
my ($vid) = psql_row("INSERT INTO variants (product_id, label, weight_grams, price, kitchen_units) "
                     . "VALUES (:'p1', '1 kg', 1000, '1499.00', 2) RETURNING id", $pid);

# An order with a Razorpay order, paid at Razorpay; returns (order, razorpay order id).
sub pending_order {
    my $u = register_user();
    my $a = req(POST => '/api/addresses', token => $u->{token}, json => {
        street => '3 Brigade Road', city => 'Bengaluru', pincode => '560025', latitude => 12.9716, longitude => 77.6070 });
    req(POST => '/api/cart', token => $u->{token}, json => { variantId => $vid, quantity => 1 });
    my ($slot) = grep { $_->{available} } @{ req(GET => '/api/delivery/slots?date=' . day(4))->{json}{slots} };
    my $o = req(POST => '/api/orders', token => $u->{token}, json => { addressId => $a->{json}{id}, deliverySlot => $slot->{start} });
    is($o->{status}, 201, 'order placed') or diag $o->{content};
    my $p = req(POST => '/api/payments/create-order', token => $u->{token}, json => { orderId => $o->{json}{id} });
    is($p->{status}, 200, 'razorpay order') or diag $p->{content};
    my $chk = fake_post($ENV{FAKE_RAZORPAY_URL}, '/_fake/checkout', { order_id => $p->{json}{order_id}, status => 'captured' });
    ok($chk->{razorpay_payment_id}, 'paid at Razorpay; the browser never calls verify');
    return ($o->{json}, $p->{json}{order_id}, $chk->{razorpay_payment_id});
}

# 1. a lost verify: the pass asks Razorpay and confirms
my ($o1, $rzp1, $pay1) = pending_order();
my $r = dispatch();
is_deeply([psql_row("SELECT status FROM orders WHERE id = :'p1'", $o1->{id})], ['PENDING'],
          'not asked before the grace period');
psql("UPDATE payments SET updated_at = now() - interval '5 minutes' WHERE order_id = :'p1'", $o1->{id});
$r = dispatch();
is($r->{status}, 200, 'dispatch');
cmp_ok($r->{json}{paymentsReconciled}, '>=', 1, 'summary counts it');
is_deeply([psql_row("SELECT o.status, p.status, p.razorpay_payment_id FROM orders o JOIN payments p ON p.order_id = o.id "
                    . "WHERE o.id = :'p1'", $o1->{id})], ['CONFIRMED', 'CAPTURED', $pay1], 'order CONFIRMED with the payment');
is_deeply([psql_row("SELECT actor FROM order_status_history WHERE order_id = :'p1' AND to_status = 'CONFIRMED'", $o1->{id})],
          ['razorpay:reconcile'], 'one CONFIRMED row, by the reconciliation');
my @asked = grep { $_->{path} eq "/v1/orders/$rzp1/payments" } @{ fake_get($ENV{FAKE_RAZORPAY_URL}, '/_fake/requests') };
is(scalar @asked, 1, 'asked Razorpay once');
dispatch();
is_deeply([psql_row("SELECT count(*) FROM order_status_history WHERE order_id = :'p1' AND to_status = 'CONFIRMED'", $o1->{id})],
          [1], 'a second pass changes nothing');

# 2. money after expiry: the order expired unpaid; the late capture is refunded in full
my ($o2, $rzp2, $pay2) = pending_order();
psql("UPDATE orders SET created_at = now() - interval '2 hours' WHERE id = :'p1'", $o2->{id});
psql("UPDATE payments SET updated_at = now() WHERE order_id = :'p1'", $o2->{id});
dispatch();
is_deeply([psql_row("SELECT status FROM orders WHERE id = :'p1'", $o2->{id})], ['CANCELLED'], 'expired unpaid');
psql("UPDATE payments SET updated_at = now() - interval '5 minutes' WHERE order_id = :'p1'", $o2->{id});
$r = dispatch();
cmp_ok($r->{json}{lateRefunds}, '>=', 1, 'summary counts the late refund');
is_deeply([psql_row("SELECT o.status, p.status FROM orders o JOIN payments p ON p.order_id = o.id WHERE o.id = :'p1'", $o2->{id})],
          ['CANCELLED', 'REFUNDED'], 'the order stays cancelled; the payment is refunded');
my @refund = grep { $_->{path} eq "/v1/payments/$pay2/refund" } @{ fake_get($ENV{FAKE_RAZORPAY_URL}, '/_fake/requests') };
is(scalar @refund, 1, 'one refund at Razorpay');
is_deeply([psql_row("SELECT amount FROM refunds WHERE order_id = :'p1'", $o2->{id})], [$o2->{totalAmount}], 'in full');
is_deeply([psql_row("SELECT count(*) FROM emails WHERE order_id = :'p1' AND kind = 'cancelled'", $o2->{id})], [1],
          'the customer was told of the cancellation');
like((psql_row("SELECT replace(body, E'\\n', ' ') FROM emails WHERE order_id = :'p1' AND kind = 'refunded'", $o2->{id}))[0] // '',
     qr/refunded Rs \Q$o2->{totalAmount}\E/, 'and then of the refund');
done_testing;
