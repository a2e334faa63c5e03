#!/usr/bin/perl
# 41-estimate.t: GET /api/delivery/estimate: Borzo's price plus 10 %, rounded up; cache; partner failures.
use strict;
use warnings;
use Test::More;
use POSIX qw(ceil);
use LaFete::Test;

my $F = $ENV{FAKE_BORZO_URL};
my ($SLAT, $SLNG) = ($ENV{STORE_LATITUDE} // 12.9716, $ENV{STORE_LONGITUDE} // 77.5946);

# the fake's price: 40 + 12 per km (haversine), as a 2-decimal string; ours: +10 %, up to the rupee
sub km {
    my ($la1, $lo1, $la2, $lo2) = @_;
    my $rad = 3.14159265358979 / 180;
    my $a = sin(($la2 - $la1) * $rad / 2)**2 + cos($la1 * $rad) * cos($la2 * $rad) * sin(($lo2 - $lo1) * $rad / 2)**2;
    return 6371.0088 * 2 * atan2(sqrt($a), sqrt(1 - $a));
}
sub expected {
    my ($lat, $lng) = @_;	# already rounded to 3 decimals
    my $quote = sprintf '%.2f', 40 + 12 * km($SLAT, $SLNG, $lat, $lng);
    my $paise = int($quote * 100 + 0.5);
    return sprintf '%d.00', ceil($paise * 110 / 10000);
}
sub calc_requests { scalar grep { $_->{path} =~ m{/calculate-order$} } @{ fake_get($F, '/_fake/requests') } }

fake_post($F, '/_fake/reset');
my $r = req(GET => '/api/delivery/estimate?lat=12.93521&lng=77.62447');
is($r->{status}, 200, 'estimate 200');
is($r->{json}{currency}, 'INR', 'INR');
is($r->{json}{amount}, expected(12.935, 77.624), "amount = ceil(quote x 1.10) ($r->{json}{amount})");
like($r->{json}{amount}, qr/^\d+\.00$/, 'whole rupees');

my ($call) = grep { $_->{path} =~ m{/calculate-order$} } @{ fake_get($F, '/_fake/requests') };
my $body = json_of($call->{body});
is($call->{headers}{'x-dv-auth-token'}, $ENV{BORZO_API_TOKEN}, 'auth token header');
is($body->{type}, 'standard', 'type standard');
is($body->{matter}, 'Fragile Cake', 'matter');
is($body->{vehicle_type_id}, 7, 'a car');
is(scalar @{ $body->{points} }, 2, 'two points');
is($body->{points}[1]{latitude}, 12.935, 'rounded drop point sent');
ok($body->{points}[0]{address}, 'kitchen address sent');

# cache: the same rounded coordinate for 10 minutes
is(req(GET => '/api/delivery/estimate?lat=12.93524&lng=77.62449')->{json}{amount}, $r->{json}{amount}, 'cached answer');
is(calc_requests(), 1, 'no second Borzo call within the cache window');
psql("UPDATE delivery_quotes SET fetched_at = now() - interval '11 minutes' WHERE lat_key = 12.935 AND lng_key = 77.624");
is(req(GET => '/api/delivery/estimate?lat=12.93521&lng=77.62447')->{status}, 200, 'stale quote refreshed');
is(calc_requests(), 2, 'Borzo asked again after 10 minutes');

# partner failures: never a 500, nothing cached
sub fault { fake_post($F, '/_fake/fault', { match => 'calculate-order', @_ }) }
fault(mode => 'status', status => 500);
$r = req(GET => '/api/delivery/estimate?lat=13.0001&lng=77.6001');
is($r->{status}, 503, 'Borzo 500 -> 503');
is($r->{json}{error}{code}, 'DELIVERY_UNAVAILABLE', 'DELIVERY_UNAVAILABLE');
fault(mode => 'status', status => 503);
is(req(GET => '/api/delivery/estimate?lat=13.0001&lng=77.6001')->{status}, 503, 'Borzo 503 -> 503');
fault(mode => 'timeout', delay_ms => 300);
$r = req(GET => '/api/delivery/estimate?lat=13.0001&lng=77.6001');
is($r->{status}, 503, 'connection closed without an answer -> 503');
fault(mode => 'unsuccessful', errors => ['route_not_found'], parameter_errors => undef);
$r = req(GET => '/api/delivery/estimate?lat=13.0001&lng=77.6001');
is($r->{status}, 502, 'is_successful:false -> 502');
is($r->{json}{error}{code}, 'DELIVERY_QUOTE_FAILED', 'DELIVERY_QUOTE_FAILED');
is((psql_row('SELECT count(*) FROM delivery_quotes WHERE lat_key = 13.000'))[0], 0, 'nothing cached after failures');
$r = req(GET => '/api/delivery/estimate?lat=13.0001&lng=77.6001');
is($r->{status}, 200, 'recovers once Borzo answers');
is($r->{json}{amount}, expected(13.000, 77.600), 'exact amount there too');

# bad input
for my $q ('', 'lat=12.9', 'lng=77.5', 'lat=abc&lng=77.5', 'lat=91&lng=77.5', 'lat=12.9&lng=181', 'lat=nan&lng=1',
           'lat=1e5&lng=1', 'lat=12.&lng=77.5', 'lat=0x10&lng=1') {
    $r = req(GET => "/api/delivery/estimate?$q");
    is($r->{status}, 400, "400 for '$q'");
}

# addressId: the caller's address only
my $u = register_user();
my $v = register_user();
my ($aid) = psql_row("INSERT INTO addresses (user_id, street, city, pincode, latitude, longitude) "
                     . "VALUES ('$u->{user}{id}', '1 MG Road', 'Bengaluru', '560001', 12.93521, 77.62447) RETURNING id");
is(req(GET => "/api/delivery/estimate?addressId=$aid")->{status}, 401, 'addressId without a token 401');
$r = req(GET => "/api/delivery/estimate?addressId=$aid", token => $u->{token});
is($r->{status}, 200, 'own address 200');
is($r->{json}{amount}, expected(12.935, 77.624), 'same price as the coordinates');
is(req(GET => "/api/delivery/estimate?addressId=$aid", token => $v->{token})->{status}, 404, "someone else's address 404");
is(req(GET => '/api/delivery/estimate?addressId=nope', token => $u->{token})->{status}, 404, 'non-UUID 404');

fake_post($F, '/_fake/reset');
done_testing;
