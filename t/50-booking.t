#!/usr/bin/perl
# 50-booking.t: POST /api/delivery/book/{orderId}: the exact Borzo payload, exactly once,
# refusals, Borzo errors (422 / 503 + retry job), lost answers, cancellation.
use strict;
use warnings;
use Test::More;
use LaFete::Test;
use LaFete::Fulfil;

fake_post(fake_borzo(), '/_fake/reset');
my $admin = admin_token();
my ($admin_id) = sql_row("SELECT id FROM users WHERE email = :'p1'", $ENV{ADMIN_EMAIL});

# ---- a booking sends exactly the payload ----
my $o = make_order(gift => 1, gift_message => 'Happy birthday!');
my $r = req(POST => "/api/delivery/book/$o->{id}", token => $admin);
is($r->{status}, 200, 'admin books a courier') or diag($r->{content});
my @creates = creates_for($o->{number});
is(scalar @creates, 1, 'exactly one create-order');
my $c = $creates[0];
is($c->{headers}{'x-dv-auth-token'}, $ENV{BORZO_API_TOKEN}, 'X-DV-Auth-Token sent');
my $b = $c->{json};
is($b->{type}, 'standard', 'type standard');
is($b->{matter}, 'Fragile Cake', 'matter');
is($b->{vehicle_type_id}, 7, 'vehicle 7 (car)');
like($c->{body}, qr/"vehicle_type_id":7[,}]/, 'vehicle_type_id is a JSON integer');
is($b->{insurance_amount}, '1899.50', 'insurance_amount = order total as a string');
like($c->{body}, qr/"insurance_amount":"1899\.50"/, 'insurance_amount is a JSON string');
is($b->{total_weight_kg}, 3, 'weight ceil(2.5 kg) = 3');
like($c->{body}, qr/"total_weight_kg":3[,}]/, 'total_weight_kg is a JSON integer');
is(scalar @{ $b->{points} }, 2, 'two points');
my ($k, $d) = @{ $b->{points} };
like($k->{address}, qr/\S/, 'kitchen first: address');
like($k->{contact_person}{phone}, qr/^91\d{10}$/, 'kitchen phone digits only, 91XXXXXXXXXX');
ok(defined $k->{contact_person}{name} && length $k->{contact_person}{name}, 'kitchen contact name');
is($k->{note}, 'fragile cake, keep upright', 'kitchen note');
ok(defined $k->{latitude} && defined $k->{longitude}, 'kitchen coordinates');
is($d->{address}, '14 MG Road, Bengaluru 560001', 'customer address "street, city pincode"');
is($d->{contact_person}{phone}, '919876543210', 'customer phone digits only');
is($d->{contact_person}{name}, 'Asha Rao', 'customer name');
is($d->{latitude} + 0, 12.975, 'customer latitude');
is($d->{longitude} + 0, 77.605, 'customer longitude');
is($d->{client_order_id}, "$o->{number}", 'client_order_id = order number as text');
like($d->{note}, qr/gift/i, 'gift flag in the note');
my ($start, $end) = sql_row("SELECT to_char(delivery_slot AT TIME ZONE 'Asia/Kolkata', 'YYYY-MM-DD\"T\"HH24:MI:SS+05:30'), "
    . "to_char((delivery_slot + interval '120 minutes') AT TIME ZONE 'Asia/Kolkata', 'YYYY-MM-DD\"T\"HH24:MI:SS+05:30') "
    . "FROM orders WHERE id = :'p1'", $o->{id});
is($d->{required_start_datetime}, $start, 'window start = slot start, +05:30');
is($d->{required_finish_datetime}, $end, 'window end = slot end');

# ---- what was stored ----
my $state = fake_get(fake_borzo(), '/_fake/state');
my ($borzo) = grep { $_->{points}[1]{client_order_id} eq "$o->{number}" } values %{ $state->{orders} };
is($r->{json}{borzoOrderId}, $borzo->{order_id}, 'borzoOrderId answered');
is($r->{json}{trackingUrl}, $borzo->{points}[1]{tracking_url}, 'the drop point tracking URL');
is($r->{json}{bookingState}, 'BOOKED', 'BOOKED');
is($r->{json}{deliveryStatus}, 'SEARCHING', 'SEARCHING');
is(db_one("SELECT status FROM orders WHERE id = :'p1'", $o->{id}), 'DISPATCHED', 'order DISPATCHED');
is(db_one("SELECT actor FROM order_status_history WHERE order_id = :'p1' AND to_status = 'DISPATCHED'", $o->{id}),
   "admin:$admin_id", 'history row with the admin as actor');
is(db_one("SELECT count(*) FROM emails WHERE order_id = :'p1' AND kind = 'on_the_way'", $o->{id}), 1, '"on the way" email queued');

# ---- exactly once; refusals ----
$r = req(POST => "/api/delivery/book/$o->{id}", token => $admin);
is($r->{status}, 409, 'booking twice 409');
is($r->{json}{error}{code}, 'ALREADY_BOOKED', 'ALREADY_BOOKED');
is(scalar creates_for($o->{number}), 1, 'still one Borzo order');

my $p = make_order(status => 'PENDING');
$r = req(POST => "/api/delivery/book/$p->{id}", token => $admin);
is($r->{status}, 409, 'unpaid order 409');
is($r->{json}{error}{code}, 'NOT_PAID', 'NOT_PAID');
is(scalar creates_for($p->{number}), 0, 'nothing sent to Borzo');

$r = req(POST => "/api/delivery/book/$p->{id}", token => $p->{user}{token});
is($r->{status}, 403, 'customer token 403');
is(req(POST => "/api/delivery/book/$p->{id}")->{status}, 401, 'no token 401');
$r = req(POST => '/api/delivery/book/00000000-0000-4000-8000-000000000000', token => $admin);
is($r->{status}, 404, 'unknown order 404');
is(req(POST => '/api/delivery/book/not-a-uuid', token => $admin)->{status}, 404, 'non-UUID 404');

# ---- Borzo refuses: 422, recorded, no retry job ----
my $q = make_order();
fault(mode => 'unsuccessful', errors => ['invalid_parameters'],
      parameter_errors => { points => [undef, { contact_person => { phone => ['invalid_phone'] } }] });
$r = req(POST => "/api/delivery/book/$q->{id}", token => $admin);
is($r->{status}, 422, 'is_successful:false -> 422');
is($r->{json}{error}{code}, 'BOOKING_REJECTED', 'BOOKING_REJECTED');
like($r->{json}{error}{message}, qr/invalid_phone/, 'the parameter error in the answer');
my ($bs, $err) = sql_row("SELECT booking_state, last_error FROM deliveries WHERE order_id = :'p1'", $q->{id});
is($bs, 'FAILED', 'delivery FAILED');
like($err, qr/invalid_parameters.*invalid_phone/, 'errors and parameter_errors recorded');
is(db_one("SELECT count(*) FROM jobs WHERE order_id = :'p1'", $q->{id}), 0, 'no automatic retry');
is(db_one("SELECT status FROM orders WHERE id = :'p1'", $q->{id}), 'CONFIRMED', 'order unchanged');
$r = req(POST => "/api/delivery/book/$q->{id}", token => $admin);
is($r->{status}, 200, 'an admin retry books it');

# ---- Borzo 5xx: 503 and a retry job with back-off ----
my $s = make_order();
fault(mode => 'status', status => 503);
$r = req(POST => "/api/delivery/book/$s->{id}", token => $admin);
is($r->{status}, 503, '5xx -> 503');
is($r->{json}{error}{code}, 'COURIER_UNAVAILABLE', 'COURIER_UNAVAILABLE');
my ($jstate, $jdelay) = sql_row("SELECT state, round(extract(epoch FROM run_at - now()) / 60) FROM jobs "
    . "WHERE order_id = :'p1' AND kind = 'book_courier'", $s->{id});
is($jstate, 'queued', 'book_courier job queued');
ok($jdelay >= 1 && $jdelay <= 2, "first retry in 2^1 minutes (got $jdelay)");
is(db_one("SELECT booking_state FROM deliveries WHERE order_id = :'p1'", $s->{id}), 'FAILED', 'delivery FAILED');
like(db_one("SELECT last_error FROM deliveries WHERE order_id = :'p1'", $s->{id}), qr/503/, 'last_error says 503');

# ---- a lost answer (connection closed): the retry looks first, then creates ----
my $t = make_order();
fault(mode => 'timeout', delay_ms => 200);
$r = req(POST => "/api/delivery/book/$t->{id}", token => $admin);
is($r->{status}, 503, 'no answer -> 503');
is(db_one("SELECT outcome_unknown FROM deliveries WHERE order_id = :'p1'", $t->{id}), 't', 'outcome recorded as unknown');
$r = req(POST => "/api/delivery/book/$t->{id}", token => $admin);
is($r->{status}, 200, 'retry books') or diag($r->{content});
my @log = borzo_requests();
my ($i_get) = grep { $log[$_]{method} eq 'GET' && $log[$_]{path} =~ m{/orders$} } 0 .. $#log;
my @i_create = grep { $log[$_]{method} eq 'POST' && $log[$_]{path} =~ m{/create-order$}
    && ($log[$_]{json}{points}[1]{client_order_id} // '') eq "$t->{number}" } 0 .. $#log;
ok(defined $i_get && $i_get > $i_create[0] && $i_get < $i_create[-1], 'GET orders before creating again');
like($log[$i_get]{query} // '', qr/created_datetime_from=/, 'searched by created_datetime_from');

# ---- cancel ----
$r = req(POST => "/api/delivery/cancel/$o->{id}", token => $p->{user}{token});
is($r->{status}, 403, 'customer cannot cancel');
$r = req(POST => "/api/delivery/cancel/$o->{id}", token => $admin);
is($r->{status}, 200, 'admin cancels the courier') or diag($r->{content});
is($r->{json}{bookingState}, 'CANCELLED', 'delivery CANCELLED');
is(fake_get(fake_borzo(), '/_fake/state')->{orders}{ $borzo->{order_id} }{status}, 'canceled', 'cancelled at Borzo');
my ($ost, $att) = sql_row("SELECT status, needs_attention FROM orders WHERE id = :'p1'", $o->{id});
is($ost, 'DISPATCHED', 'order stays DISPATCHED');
is($att, 't', 'order flagged for attention');
is(req(POST => "/api/delivery/cancel/$o->{id}", token => $admin)->{status}, 409, 'cancelling twice 409');
my $qb = db_one("SELECT borzo_order_id FROM deliveries WHERE order_id = :'p1'", $q->{id});
fake_post(fake_borzo(), '/_fake/advance', { order_id => $qb + 0, delivery_status => 'parcel_picked_up' });
$r = req(POST => "/api/delivery/cancel/$q->{id}", token => $admin);
is($r->{status}, 409, 'after pickup Borzo refuses: 409');
is($r->{json}{error}{code}, 'CANNOT_CANCEL', 'CANNOT_CANCEL');
is(db_one("SELECT booking_state FROM deliveries WHERE order_id = :'p1'", $q->{id}), 'BOOKED', 'still booked');
is(req(POST => "/api/delivery/cancel/$p->{id}", token => $admin)->{status}, 409, 'nothing booked: 409');
is(req(POST => '/api/delivery/cancel/xyz', token => $admin)->{status}, 404, 'non-UUID 404');

# ---- rebooking after the courier was cancelled ----
my $old = $borzo->{order_id};
$r = req(POST => "/api/delivery/book/$o->{id}", token => $admin);
is($r->{status}, 200, 'a cancelled courier can be booked again') or diag($r->{content});
isnt($r->{json}{borzoOrderId}, $old, 'a new Borzo order');
is($r->{json}{bookingState}, 'BOOKED', 'BOOKED again');
my ($ost2, $att2) = sql_row("SELECT status, needs_attention FROM orders WHERE id = :'p1'", $o->{id});
is($ost2, 'DISPATCHED', 'still DISPATCHED');
is($att2, 'f', 'the flag the cancellation raised is settled');
is(req(POST => "/api/delivery/book/$o->{id}", token => $admin)->{status}, 409, 'but not a third time while booked');
# a late callback about the cancelled Borzo order changes nothing
my $late = fake_post(fake_borzo(), '/_fake/advance', { order_id => $old + 0, delivery_status => 'finished' });
my $body = JSON::PP->new->canonical->encode($late);
$r = req(POST => '/api/delivery/webhook', raw => $body, type => 'application/json',
         headers => { 'X-DV-Signature' => FakeBorzo::sign_callback($body, $ENV{BORZO_CALLBACK_SECRET}) });
is($r->{status}, 200, 'a callback for the old Borzo order is acknowledged');
is(db_one("SELECT status FROM orders WHERE id = :'p1'", $o->{id}), 'DISPATCHED', 'and does not deliver the order');

done_testing;
