#!/usr/bin/perl
# 52-borzo-webhook.t: signed Borzo callbacks move the delivery forward only; completion delivers the order.
use strict;
use warnings;
use Test::More;
use LaFete::Test;
use LaFete::Fulfil;

my $admin = admin_token();
my $o = make_order();
is(req(POST => "/api/delivery/book/$o->{id}", token => $admin)->{status}, 200, 'booked');
my $bid = db_one("SELECT borzo_order_id FROM deliveries WHERE order_id = :'p1'", $o->{id}) + 0;
my $row = sub { [ sql_row("SELECT status, courier_name, courier_phone, picked_up_at IS NOT NULL, delivered_at IS NOT NULL "
                          . "FROM deliveries WHERE order_id = :'p1'", $o->{id}) ] };

my ($r, $assigned) = borzo_callback(order_id => $bid, delivery_status => 'courier_assigned',
                                    courier => { name => 'Ravi', surname => 'Sharma', phone => '919800000001' });
is($r->{status}, 200, 'courier_assigned accepted');
is_deeply($row->(), ['ASSIGNED', 'Ravi Sharma', '919800000001', 'f', 'f'], 'ASSIGNED with courier name and phone');

# forged or missing signatures change nothing
my $body = fake_post(fake_borzo(), '/_fake/advance', { order_id => $bid, delivery_status => 'parcel_picked_up' });
my $raw = JSON::PP->new->utf8->canonical->encode($body);
$r = req(POST => '/api/delivery/webhook', raw => $raw, type => 'application/json', headers => { 'X-DV-Signature' => 'ab' x 32 });
is($r->{status}, 401, 'forged signature 401');
$r = req(POST => '/api/delivery/webhook', raw => $raw, type => 'application/json');
is($r->{status}, 401, 'missing signature 401');
is($row->()->[0], 'ASSIGNED', 'nothing changed');

($r) = borzo_callback(order_id => $bid, delivery_status => 'parcel_picked_up');
is($r->{status}, 200, 'parcel_picked_up accepted');
is_deeply($row->(), ['PICKED_UP', 'Ravi Sharma', '919800000001', 't', 'f'], 'PICKED_UP, pickup time kept');

# an older event arriving late changes nothing
$r = req(POST => '/api/delivery/webhook', raw => $assigned, type => 'application/json',
         headers => { 'X-DV-Signature' => FakeBorzo::sign_callback($assigned, $ENV{BORZO_CALLBACK_SECRET}) });
is($r->{status}, 200, 'late courier_assigned acknowledged');
is($row->()->[0], 'PICKED_UP', 'never backwards');

my $fin;
($r, $fin) = borzo_callback(order_id => $bid, delivery_status => 'finished');
is($r->{status}, 200, 'finished accepted');
is_deeply($row->(), ['COMPLETED', 'Ravi Sharma', '919800000001', 't', 't'], 'COMPLETED with delivered_at');
is(db_one("SELECT status FROM orders WHERE id = :'p1'", $o->{id}), 'DELIVERED', 'order DELIVERED');
is(db_one("SELECT actor FROM order_status_history WHERE order_id = :'p1' AND to_status = 'DELIVERED'", $o->{id}), 'borzo', 'by borzo');
is(db_one("SELECT count(*) FROM emails WHERE order_id = :'p1' AND kind = 'delivered'", $o->{id}), 1, '"delivered" email queued');
$r = req(POST => '/api/delivery/webhook', raw => $fin, type => 'application/json',
         headers => { 'X-DV-Signature' => FakeBorzo::sign_callback($fin, $ENV{BORZO_CALLBACK_SECRET}) });
is($r->{status}, 200, 'duplicate finished acknowledged');
is(db_one("SELECT count(*) FROM order_status_history WHERE order_id = :'p1' AND to_status = 'DELIVERED'", $o->{id}), 1, 'one DELIVERED row');

# order_changed events: active with a courier, then completed
my $p = make_order();
req(POST => "/api/delivery/book/$p->{id}", token => $admin);
my $pb = db_one("SELECT borzo_order_id FROM deliveries WHERE order_id = :'p1'", $p->{id}) + 0;
($r) = borzo_callback(order_id => $pb, status => 'active');
is($r->{status}, 200, 'order_changed active');
is(db_one("SELECT status FROM deliveries WHERE order_id = :'p1'", $p->{id}), 'ASSIGNED', 'active with a courier -> ASSIGNED');
($r) = borzo_callback(order_id => $pb, status => 'completed');
is(db_one("SELECT status FROM deliveries WHERE order_id = :'p1'", $p->{id}), 'COMPLETED', 'completed -> COMPLETED');
is(db_one("SELECT status FROM orders WHERE id = :'p1'", $p->{id}), 'DELIVERED', 'order DELIVERED');

# a cancelled delivery flags the order
my $q = make_order();
req(POST => "/api/delivery/book/$q->{id}", token => $admin);
my $qb = db_one("SELECT borzo_order_id FROM deliveries WHERE order_id = :'p1'", $q->{id}) + 0;
($r) = borzo_callback(order_id => $qb, status => 'canceled');
is(db_one("SELECT status FROM deliveries WHERE order_id = :'p1'", $q->{id}), 'CANCELLED', 'canceled -> CANCELLED');
is_deeply([ sql_row("SELECT status, needs_attention FROM orders WHERE id = :'p1'", $q->{id}) ], ['DISPATCHED', 't'], 'order flagged');

# unknown orders, other events, malformed bodies
my $sign = sub { my $b = shift; (raw => $b, type => 'application/json', headers => { 'X-DV-Signature' => FakeBorzo::sign_callback($b, $ENV{BORZO_CALLBACK_SECRET}) }) };
$r = req(POST => '/api/delivery/webhook', $sign->('{"event_type":"order_changed","order":{"order_id":987654321,"status":"completed"}}'));
is($r->{status}, 200, 'unknown Borzo order acknowledged');
is($r->{json}{status}, 'kept', 'and kept for a booking that may not have committed yet (t/58)');
$r = req(POST => '/api/delivery/webhook', $sign->('{"event_type":"something_new"}'));
is($r->{status}, 200, 'unknown event type acknowledged');
$r = req(POST => '/api/delivery/webhook', $sign->('{"event_type":"order_changed",'));
is($r->{status}, 400, 'malformed JSON with a valid signature 400');
$r = req(POST => '/api/delivery/webhook', $sign->('{"event_type":"delivery_changed","delivery":{"order_id":"x"}}'));
is($r->{status}, 400, 'order_id not an integer 400');
$r = req(POST => '/api/delivery/webhook', $sign->('{"event_type":"delivery_changed","delivery":{"order_id":1e400}}'));
ok($r->{status} == 400, 'absurd number 400');

done_testing;
