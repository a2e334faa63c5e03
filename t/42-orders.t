#!/usr/bin/perl
# 42-orders.t: placing, reading, cancelling and expiring orders; slot capacity under 30 parallel orders.
use strict;
use warnings;
use Test::More;
use POSIX qw(strftime);
use HTTP::Tiny;
use JSON::PP;
use LaFete::Test;

my $IST = 5 * 3600 + 1800;
sub day { strftime('%Y-%m-%d', gmtime(time + $IST + $_[0] * 86400)) }
sub at  { sprintf '%sT%s+05:30', day($_[0]), $_[1] }
my $n = 0;

# product(lead_hours, [label, grams, price, units], ...) -> variant ids
sub product {
    my ($lead, @variants) = @_;
    my $slug = sprintf 'cake-%d-%d', $$, ++$n;
    my ($pid) = psql_row("INSERT INTO products (slug, name, base_price, lead_time_hours) "
                         . "VALUES ('$slug', 'Cake $n', 100, $lead) RETURNING id");
    return map { (psql_row("INSERT INTO variants (product_id, label, weight_grams, price, kitchen_units) "
                           . "VALUES ('$pid', '$_->[0]', $_->[1], $_->[2], $_->[3]) RETURNING id"))[0] } @variants;
}
sub address {
    my ($uid, $lat, $lng) = @_;
    return (psql_row("INSERT INTO addresses (user_id, label, street, city, pincode, latitude, longitude) "
                     . "VALUES ('$uid', 'Home', '1 MG Road', 'Bengaluru', '560001', "
                     . ($lat // 12.93521) . ', ' . ($lng // 77.62447) . ') RETURNING id'))[0];
}
sub fill_cart {
    my ($uid, @lines) = @_;
    my ($cid) = psql_row("INSERT INTO carts (user_id) VALUES ('$uid') ON CONFLICT (user_id) "
                         . "DO UPDATE SET updated_at = now() RETURNING id");
    psql("DELETE FROM cart_items WHERE cart_id = '$cid'");
    psql("INSERT INTO cart_items (cart_id, variant_id, quantity) VALUES ('$cid', '$_->[0]', $_->[1])") for @lines;
}
sub cart_count { (psql_row("SELECT count(*) FROM cart_items ci JOIN carts c ON c.id = ci.cart_id WHERE c.user_id = '$_[0]'"))[0] }
sub booked { (psql_row("SELECT coalesce((SELECT booked_units FROM delivery_slots WHERE slot_start = '$_[0]'), 0)"))[0] }
sub order { my ($u, %b) = @_; my $h = delete $b{headers}; req(POST => '/api/orders', token => $u->{token}, json => \%b, $h ? (headers => $h) : ()) }

my $fee = req(GET => '/api/delivery/estimate?lat=12.93521&lng=77.62447')->{json}{amount};
ok($fee, "delivery fee for the test address: $fee");

# ---- the journey to PENDING, exact money ----
my $u = register_user(name => 'Asha Rao', phone => '9876500001');
my $uid = $u->{user}{id};
my $aid = address($uid);
my ($kg, $half) = product(24, ['1 kg', 1000, '899.00', 2], ['500 g', 500, '499.50', 1]);
fill_cart($uid, [$kg, 2], [$half, 1]);
my $slot = at(3, '12:00:00');
my $r = order($u, addressId => $aid, deliverySlot => $slot, customMessage => 'Happy Birthday Asha', isGift => JSON::PP::true, giftMessage => "With love,\nRavi");
is($r->{status}, 201, 'order created') or diag $r->{content};
my $o = $r->{json};
is($o->{status}, 'PENDING', 'PENDING');
is($o->{subtotal}, '2297.50', 'subtotal from the database');
is($o->{deliveryFee}, $fee, 'fee from the estimate');
is($o->{totalAmount}, sprintf('%.2f', 2297.50 + $fee), 'total = subtotal + fee');
is($o->{deliverySlot}, $slot, 'slot');
is($o->{customMessage}, 'Happy Birthday Asha', 'inscription');
ok($o->{isGift}, 'gift');
is($o->{giftMessage}, "With love,\nRavi", 'gift message with a newline');
is(scalar @{ $o->{items} }, 2, 'two lines');
my ($line) = grep { $_->{label} eq '1 kg' } @{ $o->{items} };
is_deeply([@$line{qw(variantId weightGrams unitPrice quantity lineTotal)}], [$kg, 1000, '899.00', 2, '1798.00'], 'line snapshot');
is($o->{address}{street}, '1 MG Road', 'address snapshot');
is($o->{address}{contactName}, 'Asha Rao', 'contact name');
is($o->{address}{contactPhone}, '+919876500001', 'contact phone');
like($o->{trackingUrl}, qr{/track/[A-Za-z0-9_-]{32}$}, 'our tracking page for the owner');
ok(!exists $o->{trackingToken}, 'no raw token');
is($o->{payment}, undef, 'no payment yet');
is($o->{delivery}, undef, 'no delivery yet');
like($o->{orderNumber}, qr/^\d+$/, 'order number');
is(cart_count($uid), 0, 'cart emptied');
is(booked($slot), 5, 'five kitchen units booked');
my ($slotobj) = grep { $_->{start} eq $slot } @{ req(GET => '/api/delivery/slots?date=' . day(3))->{json}{slots} };
is($slotobj->{remaining}, 7, 'slots endpoint: remaining exact after the order');
is_deeply([psql_row("SELECT coalesce(from_status, '-'), to_status, actor FROM order_status_history WHERE order_id = '$o->{id}'")],
          ['-', 'PENDING', "customer:$uid"], 'first history row');

$r = req(GET => "/api/orders/$o->{id}", token => $u->{token});
is($r->{status}, 200, 'GET order');
is_deeply($r->{json}, $o, 'same order');
my $v = register_user();
is(req(GET => "/api/orders/$o->{id}", token => $v->{token})->{status}, 404, "another user's order 404");
is(req(GET => '/api/orders/not-a-uuid', token => $u->{token})->{status}, 404, 'non-UUID 404');
is(req(GET => "/api/orders/$o->{id}")->{status}, 401, 'no token 401');

# ---- refusals: nothing written ----
fill_cart($uid, [$half, 1]);
$r = order($u, addressId => address($v->{user}{id}), deliverySlot => $slot);
is($r->{status}, 404, "someone else's address 404");
is($r->{json}{error}{code}, 'ADDRESS_NOT_FOUND', 'ADDRESS_NOT_FOUND');
for ([at(-1, '12:00:00'), 'past'], [at(3, '12:30:00'), 'off the grid'], [at(3, '08:00:00'), 'before opening'],
     [at(3, '22:00:00'), 'at closing'], [at(20, '12:00:00'), 'blackout day'], [at(31, '12:00:00'), 'beyond 30 days']) {
    $r = order($u, addressId => $aid, deliverySlot => $_->[0]);
    is($r->{status}, 422, "slot $_->[1] 422");
    is($r->{json}{error}{code}, 'SLOT_UNAVAILABLE', "SLOT_UNAVAILABLE ($_->[1])");
}
is(order($u, addressId => $aid, deliverySlot => 'tomorrow')->{status}, 400, 'malformed slot 400');
is(order($u, addressId => $aid, deliverySlot => '2026-02-30T12:00:00+05:30')->{status}, 400, 'impossible date 400');
my ($slow) = product(72, ['1 kg', 1000, '1200.00', 1]);
fill_cart($uid, [$slow, 1]);
$r = order($u, addressId => $aid, deliverySlot => at(2, '20:00:00'));
is($r->{json}{error}{code}, 'SLOT_UNAVAILABLE', 'before the 72 h lead time 422');
my $full = at(3, '16:00:00');
psql("INSERT INTO delivery_slots (slot_start, capacity_units, booked_units) VALUES ('$full', 12, 11)");
fill_cart($uid, [$kg, 1]);
$r = order($u, addressId => $aid, deliverySlot => $full);
is($r->{status}, 422, 'full slot 422');
is($r->{json}{error}{code}, 'SLOT_FULL', 'SLOT_FULL');
is(booked($full), 11, 'nothing booked');
is(cart_count($uid), 1, 'cart kept');
psql("UPDATE variants SET is_available = false WHERE id = '$kg'");
$r = order($u, addressId => $aid, deliverySlot => $slot);
is($r->{status}, 422, 'unavailable variant 422');
is($r->{json}{error}{code}, 'VARIANT_UNAVAILABLE', 'VARIANT_UNAVAILABLE');
like($r->{json}{error}{message}, qr/1 kg/, 'names it');
psql("UPDATE variants SET is_available = true WHERE id = '$kg'");
psql("UPDATE products SET archived_at = now() WHERE id = (SELECT product_id FROM variants WHERE id = '$kg')");
is(order($u, addressId => $aid, deliverySlot => $slot)->{json}{error}{code}, 'VARIANT_UNAVAILABLE', 'archived product 422');
psql("DELETE FROM cart_items WHERE cart_id = (SELECT id FROM carts WHERE user_id = '$uid')");
$r = order($u, addressId => $aid, deliverySlot => $slot);
is($r->{status}, 422, 'empty cart 422');
is($r->{json}{error}{code}, 'CART_EMPTY', 'CART_EMPTY');
is(order($u, addressId => 'x', deliverySlot => $slot)->{status}, 400, 'bad addressId 400');
is(order($u, deliverySlot => $slot)->{status}, 400, 'missing addressId 400');

# ---- inscriptions by cake size ----
my ($small, $big) = product(24, ['500 g', 500, '500.00', 1], ['2 kg', 2000, '1500.00', 1]);
my $islot = at(4, '10:00:00');
my @cases = ([$small, 'a' x 20, 201], [$small, "\x{e9}" x 20, 201], [$small, 'a' x 21, 400], [$big, 'b' x 40, 201],
             [$big, 'b' x 41, 400]);
for my $c (@cases) {
    fill_cart($uid, [$c->[0], 1]);
    $r = order($u, addressId => $aid, deliverySlot => $islot, customMessage => $c->[1]);
    is($r->{status}, $c->[2], sprintf('%d characters on %s: %d', length $c->[1], $c->[0] eq $small ? '500 g' : '2 kg', $c->[2]));
    is($r->{json}{error}{code}, 'INSCRIPTION_TOO_LONG', 'INSCRIPTION_TOO_LONG') if $c->[2] == 400;
    is($r->{json}{error}{field}, 'customMessage', 'field named') if $c->[2] == 400;
}
fill_cart($uid, [$small, 1]);
for my $bad ("Happy\x07", "Happy\nBirthday", "Tab\there") {
    $r = order($u, addressId => $aid, deliverySlot => $islot, customMessage => $bad);
    is($r->{status}, 400, 'control characters in the inscription 400');
}
$r = order($u, addressId => $aid, deliverySlot => $islot, isGift => JSON::PP::true, giftMessage => 'x' x 301);
is($r->{status}, 400, 'gift message over 300 characters 400');

# ---- Idempotency-Key ----
my $islot2 = at(4, '12:00:00');
fill_cart($uid, [$small, 2]);
my %k = (headers => { 'Idempotency-Key' => "key-$$-1" });
my $r1 = order($u, addressId => $aid, deliverySlot => $islot2, %k);
my $r2 = order($u, addressId => $aid, deliverySlot => $islot2, %k);
is($r1->{status}, 201, 'first attempt 201');
ok($r2->{status} == 200 || $r2->{status} == 201, 'retry answers the order');
is($r2->{json}{id}, $r1->{json}{id}, 'same order');
is(booked($islot2), 2, 'units booked once');
is((psql_row("SELECT count(*) FROM orders WHERE idempotency_key = 'key-$$-1'"))[0], 1, 'one order');
is(order($u, addressId => $aid, deliverySlot => $islot2, headers => { 'Idempotency-Key' => 'bad key!' })->{status}, 400, 'bad key 400');

# ---- Borzo down: 503, nothing written ----
fill_cart($uid, [$small, 1]);
my $far = address($uid, 13.11111, 77.71111);
fake_post($ENV{FAKE_BORZO_URL}, '/_fake/fault', { match => 'calculate-order', mode => 'status', status => 500 });
my ($before) = psql_row("SELECT count(*) FROM orders WHERE user_id = '$uid'");
$r = order($u, addressId => $far, deliverySlot => $islot2);
is($r->{status}, 503, 'Borzo down: 503');
is((psql_row("SELECT count(*) FROM orders WHERE user_id = '$uid'"))[0], $before, 'no order written');
is(cart_count($uid), 1, 'cart kept');
fake_post($ENV{FAKE_BORZO_URL}, '/_fake/reset');

# ---- list, newest first ----
$r = req(GET => '/api/orders', token => $u->{token});
is($r->{status}, 200, 'list 200');
my @ids = map { $_->{id} } @{ $r->{json}{items} };
my @want = map { $_->[0] } psql("SELECT id FROM orders WHERE user_id = '$uid' ORDER BY created_at DESC, order_number DESC");
is_deeply(\@ids, \@want, 'newest first');
is($r->{json}{total}, scalar @want, 'total');
is($r->{json}{limit}, 20, 'default limit');
ok(scalar @{ $r->{json}{items}[0]{items} }, 'orders carry their items');
$r = req(GET => '/api/orders?limit=1&offset=1', token => $u->{token});
is_deeply([map { $_->{id} } @{ $r->{json}{items} }], [$want[1]], 'limit and offset');
is(req(GET => '/api/orders?limit=0', token => $u->{token})->{status}, 400, 'limit 0 400');
is(req(GET => '/api/orders?offset=-1', token => $u->{token})->{status}, 400, 'offset -1 400');
is(scalar @{ req(GET => '/api/orders', token => $v->{token})->{json}{items} }, 0, "no one else's orders");

# ---- cancel ----
is(req(POST => "/api/orders/$o->{id}/cancel", token => $v->{token})->{status}, 404, "cancel another user's order 404");
$r = req(POST => "/api/orders/$o->{id}/cancel", token => $u->{token});
is($r->{status}, 200, 'cancel 200');
is($r->{json}{status}, 'CANCELLED', 'CANCELLED');
is(booked($slot), 0, 'units released');
is(req(POST => "/api/orders/$o->{id}/cancel", token => $u->{token})->{status}, 200, 'cancelling again is harmless');
is(booked($slot), 0, 'released once');
my $baking = $r1->{json}{id};
psql("UPDATE orders SET status = 'BAKING' WHERE id = '$baking'");
$r = req(POST => "/api/orders/$baking/cancel", token => $u->{token});
is($r->{status}, 409, 'cancel once baking 409');
is($r->{json}{error}{code}, 'ILLEGAL_TRANSITION', 'ILLEGAL_TRANSITION');
is(booked($islot2), 2, 'units kept');
is(req(POST => '/api/orders/nope/cancel', token => $u->{token})->{status}, 404, 'non-UUID cancel 404');

# ---- expiry through the dispatch endpoint ----
my $D = "Bearer $ENV{DISPATCH_TOKEN}";
is(req(POST => '/api/internal/dispatch')->{status}, 401, 'dispatch without a token 401');
is(req(POST => '/api/internal/dispatch', headers => { Authorization => 'Bearer wrong' })->{status}, 401, 'wrong token 401');
my $eslot = at(5, '18:00:00');
fill_cart($uid, [$small, 3]);
my $e = order($u, addressId => $aid, deliverySlot => $eslot)->{json};
is(booked($eslot), 3, 'booked before expiry');
req(POST => '/api/internal/dispatch', headers => { Authorization => $D });	# drain anything older
psql("UPDATE orders SET created_at = now() - interval '31 minutes' WHERE id = '$e->{id}'");
$r = req(POST => '/api/internal/dispatch', headers => { Authorization => $D });
is($r->{status}, 200, 'dispatch 200');
cmp_ok($r->{json}{expired}, '>=', 1, 'expired counted');
ok(defined $r->{json}{elapsedMs}, 'elapsedMs');
is((psql_row("SELECT status FROM orders WHERE id = '$e->{id}'"))[0], 'CANCELLED', 'unpaid order cancelled');
is((psql_row("SELECT actor FROM order_status_history WHERE order_id = '$e->{id}' ORDER BY id DESC LIMIT 1"))[0], 'system:expiry', 'by system:expiry');
is(booked($eslot), 0, 'units back to the slot');
$r = req(POST => '/api/internal/dispatch', headers => { Authorization => $D });
is($r->{json}{expired}, 0, 'a second pass does nothing');

# ---- 30 parallel orders for one slot that fits 12 units ----
my $pslot = at(6, '14:00:00');
my ($one) = product(24, ['600 g', 600, '650.00', 1]);
my @users = map { register_user() } 1 .. 30;
for my $pu (@users) { $pu->{aid} = address($pu->{user}{id}); fill_cart($pu->{user}{id}, [$one, 1]) }
my @kids;
for my $i (0 .. $#users) {
    pipe(my $rd, my $wr) or die;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $rd;
        my $h = HTTP::Tiny->new(verify_SSL => 0, timeout => 60);
        my $res = $h->post("$ENV{BASE_URL}/api/orders", { headers => {
            'Content-Type' => 'application/json', Authorization => "Bearer $users[$i]{token}" },
            content => encode_json({ addressId => $users[$i]{aid}, deliverySlot => $pslot }) });
        my $code = eval { decode_json($res->{content})->{error}{code} } // '';
        print $wr "$res->{status} $code\n";
        close $wr;
        POSIX::_exit(0);
    }
    close $wr;
    push @kids, [$pid, $rd];
}
my %got;
for (@kids) { my $fh = $_->[1]; my $line = <$fh> // 'none'; chomp $line; $got{$line}++; waitpid($_->[0], 0) }
is($got{'201 '}, 12, 'exactly 12 orders fit') or diag explain \%got;
is($got{'422 SLOT_FULL'}, 18, 'the other 18: SLOT_FULL');
is(booked($pslot), 12, 'booked units = capacity');
is((psql_row("SELECT coalesce(sum(slot_units), 0) FROM orders WHERE delivery_slot = '$pslot' AND status <> 'CANCELLED'"))[0],
   12, 'booked = sum of the orders');

done_testing;
