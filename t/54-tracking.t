#!/usr/bin/perl
# 54-tracking.t: GET /track/{token}: timeline, slot, courier, Borzo link; escaped; no address or email; 404.
use strict;
use warnings;
use Test::More;
use LaFete::Test;
use LaFete::Fulfil;

my $o = make_order(street => '<b>Secret</b> Lane 9', name => 'Asha');
sql("INSERT INTO order_status_history (order_id, from_status, to_status, actor) VALUES (:'p1', 'PENDING', 'CONFIRMED', 'razorpay')", $o->{id});
my $r = req(GET => "/track/$o->{token}");
is($r->{status}, 200, 'tracking page');
like($r->{headers}{'content-type'}, qr{text/html}, 'HTML');
like($r->{content}, qr/Order #$o->{number}/, 'order number');
like($r->{content}, qr/Order confirmed/, 'timeline entry');
unlike($r->{content}, qr/Secret Lane|\Q$o->{user}{email}\E/, 'no address, no email');
unlike($r->{content}, qr/Courier assigned/, 'no courier yet');

is(req(POST => "/api/delivery/book/$o->{id}", token => admin_token())->{status}, 200, 'booked');
my $bid = db_one("SELECT borzo_order_id FROM deliveries WHERE order_id = :'p1'", $o->{id}) + 0;
borzo_callback(order_id => $bid, delivery_status => 'courier_assigned',
               courier => { name => '<script>alert(1)</script>', surname => 'K', phone => '919811111111' });
$r = req(GET => "/track/$o->{token}");
like($r->{content}, qr/On the way/, 'DISPATCHED in the timeline');
like($r->{content}, qr/Courier assigned/, 'delivery status');
like($r->{content}, qr/&lt;script&gt;alert\(1\)&lt;\/script&gt; K/, 'courier name escaped');
unlike($r->{content}, qr/<script>/, 'no raw script');
like($r->{content}, qr/919811111111/, 'courier phone');
like($r->{content}, qr{href="https://track\.borzo\.test/\d+/\d+"}, "Borzo's tracking link");

$r = req(GET => '/track/no-such-token-123456');
is($r->{status}, 404, 'unknown token 404');
like($r->{headers}{'content-type'}, qr{text/html}, '404 is HTML');
is(req(GET => '/track/%3Cx%3E')->{status}, 404, 'junk token 404');

done_testing;
