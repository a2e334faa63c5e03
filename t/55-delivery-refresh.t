#!/usr/bin/perl
# 55-delivery-refresh.t: the dispatch pass reads quiet deliveries back from Borzo, so a
# lost (or too early) callback is caught up, forward only.
use strict;
use warnings;
use Test::More;
use LaFete::Test;
use LaFete::Fulfil;

my $admin = admin_token();
sub dispatch { req(POST => '/api/internal/dispatch', headers => { Authorization => "Bearer $ENV{DISPATCH_TOKEN}" }) }
sub quiet { sql("UPDATE deliveries SET updated_at = now() - interval '15 minutes' WHERE order_id = :'p1'", $_[0]) }
sub state_of { [ sql_row("SELECT d.status, o.status FROM deliveries d JOIN orders o ON o.id = d.order_id "
                         . "WHERE o.id = :'p1'", $_[0]) ] }

my $o = make_order();
is(req(POST => "/api/delivery/book/$o->{id}", token => $admin)->{status}, 200, 'booked');
my $bid = db_one("SELECT borzo_order_id FROM deliveries WHERE order_id = :'p1'", $o->{id}) + 0;

# Borzo moves on, its callbacks never arrive
fake_post(fake_borzo(), '/_fake/advance', { order_id => $bid, status => 'active',
                                             courier => { name => 'Imran', surname => 'Khan', phone => '919800000009' } });
my $r = dispatch();
is_deeply(state_of($o->{id}), ['SEARCHING', 'DISPATCHED'], 'a delivery heard of recently is left alone');
quiet($o->{id});
$r = dispatch();
is($r->{status}, 200, 'dispatch');
cmp_ok($r->{json}{deliveriesRefreshed}, '>=', 1, 'summary counts it');
is_deeply(state_of($o->{id}), ['ASSIGNED', 'DISPATCHED'], 'caught up: ASSIGNED');
is(db_one("SELECT courier_name FROM deliveries WHERE order_id = :'p1'", $o->{id}), 'Imran Khan', 'with the courier');
my @asked = grep { ($_->{query} // '') =~ /order_id=$bid/ } @{ fake_get(fake_borzo(), '/_fake/requests') };
ok(@asked >= 1, 'asked Borzo with GET orders?order_id=');

fake_post(fake_borzo(), '/_fake/advance', { order_id => $bid, status => 'completed' });
quiet($o->{id});
dispatch();
is_deeply(state_of($o->{id}), ['COMPLETED', 'DELIVERED'], 'completion caught up: order DELIVERED');
is(db_one("SELECT actor FROM order_status_history WHERE order_id = :'p1' AND to_status = 'DELIVERED'", $o->{id}), 'borzo',
   'recorded as Borzo');
quiet($o->{id});
$r = dispatch();
is(db_one("SELECT count(*) FROM order_status_history WHERE order_id = :'p1' AND to_status = 'DELIVERED'", $o->{id}), 1,
   'a final delivery is not asked about again');
done_testing;
