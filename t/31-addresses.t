#!/usr/bin/perl
# 31-addresses.t: the caller's delivery addresses: validation, delivery area, ownership, paging, cap.
use strict;
use warnings;
use Test::More;
use LaFete::Test;

sub sql { psql(@_) }	# :'p1'... bound by psql
sub sql_row { my @r = sql(@_); return $r[0] ? @{ $r[0] } : () }

my $alice = register_user();
my $bob = register_user();
my ($ta, $tb) = ($alice->{token}, $bob->{token});
my $uuid0 = '00000000-0000-4000-8000-000000000000';

# Koramangala, about 5 km from the kitchen at 12.9716, 77.5946
my %home = (label => 'Home', street => '12, 5th Cross, Koramangala', city => 'Bengaluru',
            pincode => '560034', latitude => 12.9352, longitude => 77.6245);

# auth
for my $rt (['GET', '/api/addresses'], ['POST', '/api/addresses'], ['GET', "/api/addresses/$uuid0"],
            ['PATCH', "/api/addresses/$uuid0"], ['DELETE', "/api/addresses/$uuid0"]) {
    my $r = req($rt->[0], $rt->[1], ($rt->[0] =~ /POST|PATCH/ ? (json => {%home}) : ()));
    is($r->{status}, 401, "$rt->[0] $rt->[1] without a token 401");
    is($r->{json}{error}{code}, 'UNAUTHORIZED', "$rt->[0] $rt->[1] 401 envelope");
}

# empty list
my $r = req(GET => '/api/addresses', token => $ta);
is($r->{status}, 200, 'empty list 200');
is_deeply($r->{json}, { items => [], total => 0, limit => 20, offset => 0 }, 'empty list envelope');

# create
$r = req(POST => '/api/addresses', token => $ta, json => {%home});
is($r->{status}, 201, 'create 201');
my $a1 = $r->{json};
like($a1->{id} // '', qr/^[0-9a-f-]{36}$/, 'id is a UUID');
is($a1->{$_}, $home{$_}, "create echoes $_") for qw(label street city pincode);
is($a1->{latitude}, 12.9352, 'latitude');
is($a1->{longitude}, 77.6245, 'longitude');
like($r->{content}, qr/"latitude":\s*12\.9352[,}]/, 'latitude is a JSON number, shortest form');
like($r->{content}, qr/"longitude":\s*77\.6245[,}]/, 'longitude is a JSON number');
like($a1->{createdAt} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+05:30$/, 'createdAt RFC 3339 in IST');
is_deeply([sort keys %$a1], [sort qw(id label street city pincode latitude longitude createdAt)], 'exactly the address fields');

# label optional, spaces trimmed, integer coordinates accepted
$r = req(POST => '/api/addresses', token => $ta,
         json => { street => '  MG Road  ', city => 'Bengaluru', pincode => '560001', latitude => 13, longitude => 77.6 });
is($r->{status}, 201, 'create without label 201');
is($r->{json}{label}, undef, 'label null when absent');
is($r->{json}{street}, 'MG Road', 'street trimmed');
is($r->{json}{latitude}, 13, 'integer latitude accepted');
my $a2 = $r->{json};

# validation: each field named
my @bad = (
    [{ street => undef }, 'street', 'street missing'],
    [{ street => '' }, 'street', 'street empty'],
    [{ street => '   ' }, 'street', 'street blank'],
    [{ street => 'x' x 201 }, 'street', 'street too long'],
    [{ street => 42 }, 'street', 'street a number'],
    [{ street => "a\nb" }, 'street', 'street with a newline'],
    [{ city => undef }, 'city', 'city missing'],
    [{ city => 'c' x 101 }, 'city', 'city too long'],
    [{ label => 'l' x 51 }, 'label', 'label too long'],
    [{ label => 7 }, 'label', 'label a number'],
    [{ pincode => undef }, 'pincode', 'pincode missing'],
    [{ pincode => '012345' }, 'pincode', 'pincode starting with 0'],
    [{ pincode => '56003' }, 'pincode', 'pincode of five digits'],
    [{ pincode => '5600341' }, 'pincode', 'pincode of seven digits'],
    [{ pincode => '56a034' }, 'pincode', 'pincode with a letter'],
    [{ pincode => 560034 }, 'pincode', 'pincode as a number'],
    [{ latitude => undef }, 'latitude', 'latitude missing'],
    [{ latitude => 90.5 }, 'latitude', 'latitude above 90'],
    [{ latitude => -91 }, 'latitude', 'latitude below -90'],
    [{ latitude => '12.9' }, 'latitude', 'latitude as a string'],
    [{ latitude => JSON::PP::true }, 'latitude', 'latitude a boolean'],
    [{ longitude => undef }, 'longitude', 'longitude missing'],
    [{ longitude => 180.01 }, 'longitude', 'longitude above 180'],
    [{ longitude => -181 }, 'longitude', 'longitude below -180'],
);
for my $case (@bad) {
    my ($change, $field, $name) = @$case;
    my %body = (%home, %$change);
    delete $body{$_} for grep { !defined $change->{$_} && exists $change->{$_} } keys %$change;
    $r = req(POST => '/api/addresses', token => $ta, json => \%body);
    is($r->{status}, 400, "$name: 400");
    is($r->{json}{error}{code}, 'VALIDATION_ERROR', "$name: code");
    is($r->{json}{error}{field}, $field, "$name: names $field");
}
$r = req(POST => '/api/addresses', token => $ta, raw => '{"street":"a","city":"b","pincode":"560001","latitude":1e999,"longitude":77}',
         type => 'application/json');
ok($r->{status} == 400, 'huge exponent latitude 400');

# delivery area: Mysuru is ~130 km away; the far north pole too
for my $pt ([12.2958, 76.6394, 'Mysuru'], [13.2, 77.5946, '25.4 km north'], [-12.9716, 77.5946, 'other hemisphere']) {
    $r = req(POST => '/api/addresses', token => $ta, json => { %home, latitude => $pt->[0], longitude => $pt->[1] });
    is($r->{status}, 422, "$pt->[2] outside the area 422");
    is($r->{json}{error}{code}, 'OUT_OF_DELIVERY_AREA', "$pt->[2] code");
}
$r = req(POST => '/api/addresses', token => $ta, json => { %home, latitude => 13.18, longitude => 77.5946 });
is($r->{status}, 201, '23.2 km north is inside 201');
my $a3 = $r->{json};

# list: oldest first, paging
$r = req(GET => '/api/addresses', token => $ta);
is($r->{status}, 200, 'list 200');
is($r->{json}{total}, 3, 'total 3');
is_deeply([map { $_->{id} } @{ $r->{json}{items} }], [$a1->{id}, $a2->{id}, $a3->{id}], 'oldest first');
$r = req(GET => '/api/addresses?limit=1&offset=1', token => $ta);
is_deeply([map { $_->{id} } @{ $r->{json}{items} }], [$a2->{id}], 'limit 1 offset 1');
is($r->{json}{total}, 3, 'total with paging');
is($r->{json}{limit}, 1, 'limit echoed');
is($r->{json}{offset}, 1, 'offset echoed');
$r = req(GET => '/api/addresses?offset=10', token => $ta);
is_deeply($r->{json}{items}, [], 'past the end: no items');
is($r->{json}{total}, 3, 'past the end: total still counted');
for my $q ('limit=0', 'limit=101', 'limit=abc', 'limit=', 'offset=-1', 'offset=x', 'limit=1.5', 'offset=99999999999') {
    $r = req(GET => "/api/addresses?$q", token => $ta);
    is($r->{status}, 400, "list ?$q 400");
    my ($f) = $q =~ /^(\w+)/;
    is($r->{json}{error}{field}, $f, "list ?$q names $f");
}
$r = req(GET => '/api/addresses?limit=100', token => $ta);
is($r->{status}, 200, 'limit 100 allowed');
$r = req(GET => '/api/addresses', token => $tb);
is($r->{json}{total}, 0, "bob does not see alice's addresses");

# get one
$r = req(GET => "/api/addresses/$a1->{id}", token => $ta);
is($r->{status}, 200, 'get 200');
is_deeply($r->{json}, $a1, 'get returns the created address');
for my $id ($uuid0, 'not-a-uuid', "$a1->{id}x", '1') {
    $r = req(GET => "/api/addresses/$id", token => $ta);
    is($r->{status}, 404, "get $id 404");
}
$r = req(GET => "/api/addresses/$a1->{id}", token => $tb);
is($r->{status}, 404, "other user's address 404");
is($r->{json}{error}{code}, 'ADDRESS_NOT_FOUND', '404 code');

# patch
$r = req(PATCH => "/api/addresses/$a1->{id}", token => $ta, json => {});
is($r->{status}, 200, 'empty patch 200');
is_deeply($r->{json}, $a1, 'empty patch leaves it unchanged');
$r = req(PATCH => "/api/addresses/$a1->{id}", token => $ta, json => { city => 'Bangalore', label => 'Work' });
is($r->{status}, 200, 'patch 200');
is($r->{json}{city}, 'Bangalore', 'city changed');
is($r->{json}{label}, 'Work', 'label changed');
is($r->{json}{street}, $home{street}, 'street kept');
is($r->{json}{latitude}, 12.9352, 'latitude kept');
$r = req(PATCH => "/api/addresses/$a1->{id}", token => $ta, json => { label => undef });
is($r->{json}{label}, undef, 'label null clears it');
$r = req(PATCH => "/api/addresses/$a1->{id}", token => $ta, json => { latitude => 12.95, longitude => 77.6 });
is($r->{status}, 200, 'move inside the area 200');
is($r->{json}{latitude}, 12.95, 'latitude moved');
is($r->{json}{longitude}, 77.6, 'longitude moved');
$r = req(PATCH => "/api/addresses/$a1->{id}", token => $ta, json => { latitude => 12.2958 });
is($r->{status}, 422, 'moving latitude alone out of the area 422');
is($r->{json}{error}{code}, 'OUT_OF_DELIVERY_AREA', 'patch area code');
for my $case ([{ pincode => '000000' }, 'pincode'], [{ street => '' }, 'street'], [{ latitude => 'x' }, 'latitude'],
              [{ longitude => 200 }, 'longitude'], [{ city => undef }, undef], [{ label => 'l' x 51 }, 'label']) {
    my ($body, $field) = @$case;
    $r = req(PATCH => "/api/addresses/$a1->{id}", token => $ta, json => $body);
    if (defined $field) {
        is($r->{status}, 400, "patch bad $field 400");
        is($r->{json}{error}{field}, $field, "patch names $field");
    } else {
        is($r->{status}, 200, 'patch city null is ignored (absent)');
    }
}
$r = req(GET => "/api/addresses/$a1->{id}", token => $ta);
is($r->{json}{latitude}, 12.95, 'failed patches changed nothing');
is($r->{json}{pincode}, '560034', 'pincode unchanged');
is($r->{json}{city}, 'Bangalore', 'city unchanged');
$r = req(PATCH => "/api/addresses/$a1->{id}", token => $tb, json => { city => 'Mine' });
is($r->{status}, 404, "patch other user's address 404");
$r = req(PATCH => '/api/addresses/nope', token => $ta, json => { city => 'X' });
is($r->{status}, 404, 'patch non-UUID 404');
is(req(GET => "/api/addresses/$a1->{id}", token => $ta)->{json}{city}, 'Bangalore', "bob's patch changed nothing");

# delete
$r = req(DELETE => "/api/addresses/$a2->{id}", token => $tb);
is($r->{status}, 404, "delete other user's address 404");
$r = req(DELETE => "/api/addresses/$a2->{id}", token => $ta);
is($r->{status}, 204, 'delete 204');
is($r->{content} // '', '', '204 has no body');
$r = req(DELETE => "/api/addresses/$a2->{id}", token => $ta);
is($r->{status}, 404, 'delete again 404');
$r = req(DELETE => '/api/addresses/xyz', token => $ta);
is($r->{status}, 404, 'delete non-UUID 404');
is(req(GET => '/api/addresses', token => $ta)->{json}{total}, 2, 'two left');

# at most 20 per user
my $carol = register_user();
for my $i (1 .. 20) {
    $r = req(POST => '/api/addresses', token => $carol->{token}, json => { %home, label => "n$i" });
    last unless $r->{status} == 201;
}
is($r->{status}, 201, '20th address 201');
$r = req(POST => '/api/addresses', token => $carol->{token}, json => {%home});
is($r->{status}, 422, '21st address 422');
is($r->{json}{error}{code}, 'ADDRESS_LIMIT', 'cap code');
my ($n) = sql_row("SELECT count(*) FROM addresses a JOIN users u ON u.id = a.user_id WHERE u.email = :'p1'", $carol->{email});
is($n, 20, 'still 20 in the database');

done_testing;
