#!/usr/bin/perl
# 46-journey.t: the whole customer journey through the public API:
# register -> address -> cart -> slots -> order -> create-order -> checkout -> verify
# -> CONFIRMED; then a cancel that refunds through Razorpay, and a late cancel refused.
use strict;
use warnings;
use Test::More;
use POSIX qw(strftime);
use LaFete::Test;

my $IST = 5 * 3600 + 1800;
sub day { strftime('%Y-%m-%d', gmtime(time + $IST + $_[0] * 86400)) }

my ($pid) = psql_row("INSERT INTO products (slug, name, base_price, lead_time_hours) "
                     . "VALUES ('journey-$$', 'Journey Cake', 999, 12) RETURNING id");
my ($vid) = psql_row("INSERT INTO variants (product_id, label, weight_grams, price, kitchen_units) "
                     . "VALUES ('$pid', '1 kg', 1000, '1299.00', 2) RETURNING id");

sub place_paid_order {
    my ($u, $days) = @_;
    my $a = req(POST => '/api/addresses', token => $u->{token}, json => {
        label => 'Home', street => '14 Church Street', city => 'Bengaluru', pincode => '560001',
        latitude => 12.9752, longitude => 77.6050 });
    is($a->{status}, 201, 'address saved') or diag $a->{content};
    my $c = req(POST => '/api/cart', token => $u->{token}, json => { variantId => $vid, quantity => 1 });
    is($c->{status}, 201, 'cart line added') or diag $c->{content};
    is($c->{json}{subtotal}, '1299.00', 'cart subtotal');
    my $slots = req(GET => '/api/delivery/slots?date=' . day($days));
    my ($slot) = grep { $_->{available} } @{ $slots->{json}{slots} };
    ok($slot, 'a slot is offered') or return;
    my $o = req(POST => '/api/orders', token => $u->{token}, json => {
        addressId => $a->{json}{id}, deliverySlot => $slot->{start}, customMessage => 'Happy 30th!' });
    is($o->{status}, 201, 'order placed') or diag $o->{content};
    my $order = $o->{json};
    my $p = req(POST => '/api/payments/create-order', token => $u->{token}, json => { orderId => $order->{id} });
    is($p->{status}, 200, 'razorpay order created') or diag $p->{content};
    (my $paise = $order->{totalAmount}) =~ s/\.//;
    is($p->{json}{amount}, $paise + 0, 'amount in paise from the database');
    my $chk = fake_post($ENV{FAKE_RAZORPAY_URL}, '/_fake/checkout', { order_id => $p->{json}{order_id}, status => 'captured' });
    my $v = req(POST => '/api/payments/verify', token => $u->{token}, json => $chk);
    is($v->{status}, 200, 'verify accepted') or diag $v->{content};
    is($v->{json}{status}, 'CONFIRMED', 'order CONFIRMED');
    is($v->{json}{payment}{status}, 'CAPTURED', 'payment CAPTURED');
    is($v->{json}{customMessage}, 'Happy 30th!', 'verify answers the whole order');
    my ($subject, $body) = psql_row("SELECT subject, replace(body, E'\\n', ' ') FROM emails WHERE order_id = :'p1' AND kind = 'confirmed'", $order->{id});
    ok($subject, 'confirmation email queued with the confirmation');
    like($body // '', qr/Happy 30th!/, 'it carries the inscription');
    return $order;
}

my $u = register_user(name => 'Meera Iyer');
my $order = place_paid_order($u, 5);
my $r = req(POST => "/api/orders/$order->{id}/cancel", token => $u->{token});
is($r->{status}, 200, 'paid order cancelled five days ahead') or diag $r->{content};
is($r->{json}{status}, 'CANCELLED', 'CANCELLED');
my @refunds = grep { $_->{path} =~ m{/refund$} } @{ fake_get($ENV{FAKE_RAZORPAY_URL}, '/_fake/requests') };
ok(@refunds >= 1, 'refund requested at Razorpay');
(my $paise = $order->{totalAmount}) =~ s/\.//;
like($refunds[-1]{body} // '', qr/"amount"\s*:\s*$paise\b|^\{\}$|^$/, 'full refund (amount omitted or equal to the total)');
ok(($refunds[-1]{headers}{'x-refund-idempotency'} // '') =~ /^[A-Za-z0-9_-]{10,}$/, 'refund idempotency key sent');
is_deeply([psql_row("SELECT status FROM payments WHERE order_id = '$order->{id}'")], ['REFUNDED'], 'payment REFUNDED');
is_deeply([psql_row("SELECT count(*) FROM refunds WHERE order_id = '$order->{id}'")], [1], 'one refund recorded');
like((psql_row("SELECT replace(body, E'\\n', ' ') FROM emails WHERE order_id = :'p1' AND kind = 'cancelled'", $order->{id}))[0] // '',
     qr/refund of Rs \Q$order->{totalAmount}\E/, 'the cancellation email names the refund');

# a paid order cannot be cancelled by the customer three hours before its slot
my $larry = register_user(name => 'Late Larry');
my $late = place_paid_order($larry, 6);
psql("UPDATE orders SET delivery_slot = now() + interval '3 hours' WHERE id = :'p1'", $late->{id});
$r = req(POST => "/api/orders/$late->{id}/cancel");
is($r->{status}, 401, 'cancel needs a token');
$r = req(POST => "/api/orders/$late->{id}/cancel", token => $larry->{token});
is($r->{status}, 409, 'a paid order three hours before its slot cannot be cancelled');
is($r->{json}{error}{code}, 'CANCELLATION_TOO_LATE', 'with a precise code');
is_deeply([psql_row("SELECT status FROM orders WHERE id = :'p1'", $late->{id})], ['CONFIRMED'], 'still CONFIRMED');
is_deeply([psql_row("SELECT count(*) FROM refunds WHERE order_id = :'p1'", $late->{id})], [0], 'no refund');

# an admin may cancel the same late order: always a full refund
$r = req(PATCH => "/api/admin/orders/$late->{id}/status", token => admin_token(), json => { status => 'CANCELLED' });
is($r->{status}, 200, 'admin cancels the late paid order') or diag $r->{content};
is_deeply([psql_row("SELECT r.amount, p.status FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE r.order_id = :'p1'",
                    $late->{id})], [$late->{totalAmount}, 'REFUNDED'], 'refunded in full by the admin policy');
is_deeply([psql_row("SELECT actor FROM order_status_history WHERE order_id = :'p1' AND to_status = 'CANCELLED'", $late->{id})],
          ['admin:' . req(GET => '/api/me', token => admin_token())->{json}{id}], 'recorded as the admin');
done_testing;
