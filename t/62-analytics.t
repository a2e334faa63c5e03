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

# the page (money as people read it since the charts were redrawn: ₹4,650, not ₹4650.00)
my $s = admin_session();
$r = page('/admin/analytics?from=2031-06-01&to=2031-06-03', $s);
is($r->{status}, 200, 'page 200');
my $html = $r->{content};
if (open my $dump, '>:utf8', ($ENV{STACK_DIR} // '/tmp') . '/62-analytics.html') { print $dump $html }
like($html, qr{<span class="kpi-value">₹4,650</span>}, 'revenue shown with the Indian grouping');
like($html, qr{<span class="kpi-value">₹1,550</span>}, 'average order');
like($html, qr/50\.0%/, 'on-time rate');

# the revenue chart: an SVG with its text alternative, axes, nice ticks, a bar per day, value labels
my ($rev) = $html =~ m{(<svg class="chart chart-rev".*?</svg>)}s;
ok($rev, 'revenue: server-drawn SVG') or diag $html;
$rev //= '';
like($rev, qr{role="img" aria-labelledby="rev-title rev-desc"}, 'revenue: an image named by its title and description');
like($rev, qr{<title id="rev-title">Revenue per delivery day, 1 Jun 2031 to 3 Jun 2031</title>}, 'revenue: title');
like($rev, qr{<desc id="rev-desc">[^<]*2 of 3 days had sales; the best was 2 Jun with ₹2,600; in all ₹4,650\.}, 'revenue: description gives the figures');
is_deeply([$rev =~ m{<text x="78" y="[\d.]+">([^<]+)</text>}g], ['₹0', '₹1,000', '₹2,000', '₹3,000'], 'revenue: y ticks 0..3000 in nice steps');
is_deeply([$rev =~ m{<text x="[\d.]+" y="242">([^<]+)</text>}g], ['1 Jun', '2 Jun', '3 Jun'], 'revenue: each day named under the axis');
is(scalar(() = $rev =~ /<rect class="bar"/g), 3, 'revenue: a bar per day');
like($rev, qr/<rect class="bar"[^>]*fill="#8a2d55"><title>2031-06-02: ₹2,600<\/title>/, 'revenue: the bar of 2 June');
is_deeply([$rev =~ m{<text class="value[^"]*"[^>]*>([^<]+)</text>}g], ['₹2,050', '₹2,600'], 'revenue: value labels on the days with sales');
like($rev, qr{class="axis-title"[^>]*>Delivery day<}, 'revenue: x axis titled');
my ($h1, $h2) = $rev =~ m{<rect class="bar" x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)"}g;
ok(abs($h1 / $h2 - 2050 / 2600) < 0.01, "revenue: bars in proportion ($h1 : $h2)");
like($html, qr{<td><time datetime="2031-06-02">Mon 2 Jun 2031</time></td><td class="num">2</td><td class="num">₹2,600</td>}, 'revenue: the table stays');

# popular cakes by product and size
my ($cakes) = $html =~ m{(<svg class="chart chart-cakes".*?</svg>)}s;
ok($cakes, 'cakes: SVG');
$cakes //= '';
like($cakes, qr{role="img" aria-labelledby="cakes-title cakes-desc"}, 'cakes: an image, labelled');
like($cakes, qr{<desc id="cakes-desc">Cakes sold per product and size, best first: Analytics Chocolate — 1 kg: 3; Analytics Mango — 1 kg: 1\.</desc>},
     'cakes: the description lists each product and size (paid orders only)');
is_deeply([$cakes =~ m{<g class="tick-labels" text-anchor="middle">(.*?)</g>}s ? ($& =~ m{>(\d+)</text>}g) : ()], [0, 1, 2, 3], 'cakes: an axis of cakes 0..3');

# two sizes of one cake told apart (another range: the API's figures above stay as they are)
my ($v1s) = sql_row("INSERT INTO variants (product_id, label, weight_grams, price, kitchen_units) VALUES (:'p1', '500 g', 500, 600, 1) RETURNING id", $p1);
my $c1s = [$p1, $v1s, 0, 600, 'Analytics Chocolate', '500 g'];
make_order(slot => '2031-07-10T12:00:00+05:30', status => 'CONFIRMED', items => [@{ $it->($c1, 1) }, @{ $it->($c1s, 2) }]);
make_order(slot => '2031-07-10T12:00:00+05:30', status => 'PENDING', items => $it->($c1s, 5));
make_order(slot => '2031-07-10T12:00:00+05:30', status => 'CONFIRMED', items => $it->($c2, 1));
my $july = page('/admin/analytics?from=2031-07-10&to=2031-07-10', $s)->{content};
($cakes) = $july =~ m{(<svg class="chart chart-cakes".*?</svg>)}s;
$cakes //= '';
like($cakes, qr{<desc id="cakes-desc">Cakes sold per product and size, best first: Analytics Chocolate — 500 g: 2; Analytics Mango — 1 kg: 1; Analytics Chocolate — 1 kg: 1\.</desc>},
     'sizes: described apart, best first (ties by revenue)');
is_deeply([$cakes =~ m{<text class="bar-name"[^>]*>([^<]+)</text>}g],
          ['Analytics Chocolate — 500 g', 'Analytics Mango — 1 kg', 'Analytics Chocolate — 1 kg'], 'sizes: a bar per product and size');
is_deeply([$cakes =~ m{<text class="value"[^>]*>(\d+)</text>}g], [2, 1, 1], 'sizes: the quantities after the bars');
like($july, qr{<td>Analytics Chocolate</td><td>500 g</td><td class="num">2</td><td class="num">₹1,200</td>}, 'sizes: the table row of the smaller size');
like($july, qr{<th scope="row">Thu 10 Jul 2031</th><td class="num heat-0">0/12</td><td class="num heat-2">6/12</td>}, 'heat-map: three orders at 12:00 half fill it');

# slot use: the day x slot heat-map, the numbers in every cell
my ($heat) = $html =~ m{(<table class="heatmap">.*?</table>)}s;
ok($heat, 'heat-map table') or diag $html;
$heat //= '';
my @cols = $heat =~ m{<th scope="col" class="num">(\d\d:\d\d)</th>}g;
is_deeply(\@cols, ['10:00', '12:00', '14:00', '16:00', '18:00', '20:00'], "heat-map: the shop's slot times as columns");
my %cell;
for my $row ($heat =~ m{(<tr><th scope="row">.*?</tr>)}g) {
    my ($day) = $row =~ m{<th scope="row">([^<]+)</th>};
    my @c = $row =~ m{<td class="num (heat-\d)">(\d+/\d+)</td>}g;
    for my $i (0 .. $#cols) { $cell{"$day $cols[$i]"} = "$c[2*$i+1] $c[2*$i]" }
}
is($cell{'Sun 1 Jun 2031 12:00'}, '2/12 heat-1', 'heat-map: 1 June 12:00 (the delivered order)');
is($cell{'Mon 2 Jun 2031 12:00'}, '2/12 heat-1', 'heat-map: 2 June 12:00');
is($cell{'Mon 2 Jun 2031 16:00'}, '2/12 heat-1', 'heat-map: 2 June 16:00');
is($cell{'Tue 3 Jun 2031 16:00'}, '2/12 heat-1', 'heat-map: 3 June 16:00 (pending counts)');
is($cell{'Tue 3 Jun 2031 12:00'}, '0/12 heat-0', 'heat-map: 3 June 12:00 (the cancelled order does not)');
is($cell{'Sun 1 Jun 2031 10:00'}, '0/12 heat-0', 'heat-map: an empty slot');
is(scalar keys %cell, 18, 'heat-map: 3 days x 6 slots');
like($html, qr{<ul class="heat-legend" aria-label="Colour key">.*full</li>}s, 'heat-map: a legend of the colours');

# an empty range still draws its axes
$r = page('/admin/analytics?from=2032-01-01&to=2032-01-02', $s);
like($r->{content}, qr{<desc id="rev-desc">No paid orders in these 2 days}, 'empty: the chart says so');
like($r->{content}, qr{<text x="78" y="[\d.]+">₹1</text>}, 'empty: an axis of 0 to ₹1');
like($r->{content}, qr{No cakes sold in this range}, 'empty: no cakes');
unlike($r->{content}, qr{chart-cakes}, 'empty: no cakes chart');

# a long range: a bar per day, no value labels (they would overlap); the description says the figures
$r = page('/admin/analytics?from=2031-05-01&to=2031-06-29', $s);
($rev) = $r->{content} =~ m{(<svg class="chart chart-rev".*?</svg>)}s;
is(scalar(() = ($rev // '') =~ /<rect class="bar"/g), 60, '60 days: 60 bars');
unlike($rev // '', qr{<text class="value}, '60 days: no value labels');
like($rev // '', qr{\d+ of 60 days had sales; the best was}, '60 days: described');
is(scalar(() = ($rev // '') =~ m{<text x="[\d.]+" y="242">}g), 10, '60 days: every 6th day named, 10 in all');
my $bad = page('/admin/analytics?from=2031-06-03&to=2031-06-01', $s)->{content};
unlike($bad, qr{Popular cakes|heatmap}, 'a bad range: no charts');
unlike($r->{content}, qr/style=/, 'no inline styles (CSP)');
is(page('/admin/analytics?from=2031-06-03&to=2031-06-01', $s)->{status}, 400, 'page: bad range 400');
is(req(GET => '/admin/analytics')->{status}, 303, 'anonymous 303');
is(page('/admin/analytics', customer_session())->{status}, 403, 'customer 403');

done_testing;
