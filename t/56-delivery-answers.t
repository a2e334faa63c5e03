#!/usr/bin/perl
# 56-delivery-answers.t: the exact answers (status, code, message) of the courier API:
# booking and cancellation refusals, Borzo's refusals and outages, missing orders, forged callbacks.
use strict;
use warnings;
use Test::More;
use LaFete::Test;
use LaFete::Fulfil;

my $admin = admin_token();
my $nobody = '00000000-0000-4000-8000-000000000000';
sub answer { my ($r) = @_; [ $r->{status}, $r->{json}{error}{code}, $r->{json}{error}{message} ] }
sub book { req(POST => "/api/delivery/book/$_[0]", token => $admin) }
sub cancel { req(POST => "/api/delivery/cancel/$_[0]", token => $admin) }
sub cancel_fault { fake_post(fake_borzo(), '/_fake/fault', { match => '^POST .*/cancel-order$', @_ }) }

# missing orders answer the code of their kind, malformed ids too
is_deeply(answer(book($nobody)), [404, 'ORDER_NOT_FOUND', 'No such order'], 'book: no such order');
is_deeply(answer(cancel($nobody)), [404, 'ORDER_NOT_FOUND', 'No such order'], 'cancel: no such order');
is(answer(book('not-a-uuid'))->[1], 'ORDER_NOT_FOUND', 'book: a malformed id answers the same code');

# booking refusals
my $unpaid = make_order(status => 'PENDING');
is_deeply(answer(book($unpaid->{id})), [409, 'NOT_PAID', 'The order is not paid yet'], 'not paid');
my $gone = make_order(status => 'CANCELLED');
is_deeply(answer(book($gone->{id})), [409, 'NOT_BOOKABLE', 'The order is delivered or cancelled'], 'cancelled order');
my $o = make_order();
is(book($o->{id})->{status}, 200, 'booked');
is_deeply(answer(book($o->{id})), [409, 'ALREADY_BOOKED', 'A courier is already booked for this order'], 'booked twice');

# cancellation refusals
my $p = make_order();
is_deeply(answer(cancel($p->{id})), [409, 'NOT_BOOKED', 'No courier is booked for this order'], 'nothing booked');
cancel_fault(mode => 'status', status => 503);
is_deeply(answer(cancel($o->{id})), [503, 'COURIER_UNAVAILABLE', 'Borzo could not be reached; try again'], 'Borzo down');
cancel_fault(mode => 'unsuccessful', errors => ['invalid_order_status']);
my $r = answer(cancel($o->{id}));
is_deeply([ @$r[0, 1] ], [422, 'CANCEL_REJECTED'], 'Borzo refuses');
like($r->[2], qr/^Borzo refused: .*invalid_order_status/, 'with its reason');
cancel_fault(mode => 'unsuccessful', errors => ['order_cannot_be_canceled']);
is_deeply(answer(cancel($o->{id})), [409, 'CANNOT_CANCEL', 'Borzo no longer allows cancelling this order'], 'too late at Borzo');
is(db_one("SELECT booking_state FROM deliveries WHERE order_id = :'p1'", $o->{id}), 'BOOKED', 'still booked');

my $bid = db_one("SELECT borzo_order_id FROM deliveries WHERE order_id = :'p1'", $o->{id}) + 0;
is((borzo_callback(order_id => $bid, delivery_status => 'finished'))[0]{status}, 200, 'delivered');
is_deeply(answer(cancel($o->{id})), [409, 'CANNOT_CANCEL', 'The delivery is already COMPLETED'], 'a finished delivery');

# a forged callback
my $body = '{"event_type":"order_changed","order":{"order_id":1,"status":"completed"}}';
is_deeply(answer(req(POST => '/api/delivery/webhook', raw => $body, type => 'application/json',
                     headers => { 'X-DV-Signature' => 'ab' x 32 })),
          [401, 'INVALID_SIGNATURE', 'X-DV-Signature does not match the body'], 'forged signature');
is_deeply(answer(req(POST => '/api/delivery/webhook', raw => '{"event_type":', type => 'application/json',
                     headers => { 'X-DV-Signature' => FakeBorzo::sign_callback('{"event_type":', $ENV{BORZO_CALLBACK_SECRET}) })),
          [400, 'MALFORMED_JSON', 'the body is not valid JSON (unexpected end)'], 'signed but not JSON');

done_testing;
