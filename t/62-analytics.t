#!/usr/bin/perl
# 62-analytics.t: the analytics API checked exactly against orders made for an otherwise empty range; the page.
use strict;
use warnings;
use Test::More;
use LaFete::Test;
use LaFete::Admin;

my ($p1, $v1) = make_product(name => 'Analytics Chocolate');
my ($p2, $v2) = make_product(name => 'Analytics Mango', price => '1500.00');
my $c1 = [$p1, $v1, 0, 1000, 'Analytics Chocolate', '1 kg'];
my $c2 = [$p2, $v2, 0, 1500, 'Analytics Mango', '1 kg'];
my $it = sub { my ($c, $q) = @_; my @x = @$c; $x[2] = $q; [\@x] };

my ($a) = make_order(slot => '2031-06-01T12:00:00+05:30', status => 'DELIVERED', items => $it->($c1, 2),
    dispatched_at => '2031-06-01T11:30:00+05:30', delivered_at => '2031-06-01T12:30:00+05:30');
my ($b) = make_order(slot => '2031-06-02T12:00:00+05:30', status => 'DELIVERED', items => $it->($c2, 1),
    dispatched_at => '2031-06-02T13:00:00+05:30', delivered_at => '2031-06-03T02:00:00+05:30');
my ($c) = make_order(slot => '2031-06-02T16:00:00+05:30', status => 'CONFIRMED', items => $it->($c1, 1));
make_order(slot => '2031-06-03T16:00:00+05:30', status => 'PENDING', items => $it->($c2, 5));
make_order(slot => '2031-06-03T12:00:00+05:30', status => 'CANCELLED', items => $it->($c2, 3));
make_order(slot => '2031-06-04T12:00:00+05:30', status => 'CONFIRMED', items => $it->($c2, 7));	# outside
sql("INSERT INTO deliveries (order_id, booking_state) VALUES (:'p1', 'BOOKED'), (:'p2', 'BOOKED'), (:'p3', 'FAILED')", $a, $b, $c);

my $tok = admin_token();
my $r = req(GET => '/api/admin/analytics?from=2031-06-01&to=2031-06-03', token => $tok);
is($r->{status}, 200, 'analytics 200');
my $j = $r->{json};
is($j->{totalRevenue}, '4650.00', 'revenue of paid orders (2050 + 1550 + 1050)');
is($j->{orderCount}, 3, 'paid orders');
is($j->{averageOrderValue}, '1550.00', 'average');
is_deeply($j->{popularCakes}, [
    { productId => $p1, name => 'Analytics Chocolate', quantity => 3, revenue => '3000.00' },
    { productId => $p2, name => 'Analytics Mango', quantity => 1, revenue => '1500.00' } ], 'popular cakes');
is($j->{deliveryPerformance}{booked}, 2, 'booked');
is($j->{deliveryPerformance}{delivered}, 2, 'delivered');
is($j->{deliveryPerformance}{onTimeRate}, 0.5, 'on time: one of two');
is($j->{deliveryPerformance}{averageMinutesToDeliver}, 420, 'minutes from dispatch (60 + 780) / 2');
is($j->{failedBookings}, 1, 'failed bookings');
is_deeply($j->{revenuePerDay}, [
    { date => '2031-06-01', revenue => '2050.00', orderCount => 1 },
    { date => '2031-06-02', revenue => '2600.00', orderCount => 2 },
    { date => '2031-06-03', revenue => '0.00', orderCount => 0 } ], 'revenue per day');
is_deeply($j->{slotUtilisation}, [
    { slot => '12:00', bookedUnits => 4, capacityUnits => 36 },
    { slot => '16:00', bookedUnits => 4, capacityUnits => 36 } ], 'slot utilisation');

# an empty range
$r = req(GET => '/api/admin/analytics?from=2032-01-01&to=2032-01-02', token => $tok);
is($r->{json}{totalRevenue}, '0.00', 'empty: revenue');
is($r->{json}{averageOrderValue}, '0.00', 'empty: average');
ok(exists $r->{json}{deliveryPerformance}{onTimeRate} && !defined $r->{json}{deliveryPerformance}{onTimeRate}, 'empty: onTimeRate null');
is_deeply($r->{json}{popularCakes}, [], 'empty: no cakes');

# defaults and validation
$r = req(GET => '/api/admin/analytics', token => $tok);
is($r->{status}, 200, 'default range 200');
is(scalar @{ $r->{json}{revenuePerDay} }, 30, 'default: 30 days');
for my $q ('from=2031-06-03&to=2031-06-01', 'from=2030-01-01&to=2031-06-01', 'from=junk', 'to=2031-02-29',
           'from=2031-6-1&to=2031-06-02', 'from=%FF') {
    $r = req(GET => "/api/admin/analytics?$q", token => $tok);
    is($r->{status}, 400, "400 for $q");
    is($r->{json}{error}{code}, 'VALIDATION_ERROR', 'code');
}
is(req(GET => '/api/admin/analytics?from=2031-01-01&to=2031-12-31')->{status}, 401, '401 without token');
is(req(GET => '/api/admin/analytics', token => register_user()->{token})->{status}, 403, '403 as customer');
is(req(GET => '/api/admin/analytics?from=2024-01-01&to=2024-12-31', token => $tok)->{status}, 200, 'a leap year (366 days) 200');

# the page
my $s = admin_session();
$r = page('/admin/analytics?from=2031-06-01&to=2031-06-03', $s);
is($r->{status}, 200, 'page 200');
like($r->{content}, qr/₹4650\.00/, 'revenue shown');
like($r->{content}, qr/<svg class="chart"/, 'server-drawn SVG');
like($r->{content}, qr/<rect [^>]*fill="#8a2d55"><title>2031-06-02: ₹2600\.00/, 'a bar per day');
like($r->{content}, qr/Analytics Chocolate/, 'popular cakes');
like($r->{content}, qr/50\.0%/, 'on-time rate');
unlike($r->{content}, qr/style=/, 'no inline styles (CSP)');
is(page('/admin/analytics?from=2031-06-03&to=2031-06-01', $s)->{status}, 400, 'page: bad range 400');
is(req(GET => '/admin/analytics')->{status}, 303, 'anonymous 303');
is(page('/admin/analytics', customer_session())->{status}, 403, 'customer 403');

done_testing;
