#!/usr/bin/perl
# 33-cart.t: the cart: exact shape, prices from the database, limits, availability, ownership, concurrency.
use strict;
use warnings;
use Test::More;
use LaFete::Test;
use HTTP::Tiny;
use POSIX ();

sub sql { psql(@_) }	# :'p1'... bound by psql
sub sql_row { my @r = sql(@_); return $r[0] ? @{ $r[0] } : () }

my $uuid0 = '00000000-0000-4000-8000-000000000000';
my $n = 0;

# product($price_of_each_variant...): a product with variants "V1", "V2"...; returns (product id, variant ids)
sub product {
    my (@prices) = @_;
    my $slug = sprintf 'cart-test-%d-%d', $$, ++$n;
    my ($pid) = sql_row("INSERT INTO products (slug, name, base_price) VALUES (:'p1', :'p2', :'p3') RETURNING id",
                         $slug, "Chocolate Truffle $n", $prices[0]);
    my @vids;
    for my $i (0 .. $#prices) {
        my ($vid) = sql_row("INSERT INTO variants (product_id, label, weight_grams, price, sort_order) "
                             . "VALUES (:'p1', :'p2', 500, :'p3', :'p4') RETURNING id", $pid, 'V' . ($i + 1), $prices[$i], $i);
        push @vids, $vid;
    }
    return ($pid, @vids);
}

my $alice = register_user();
my $bob = register_user();
my ($ta, $tb) = ($alice->{token}, $bob->{token});
my ($pid, $v1, $v2) = product('1299.00', '2150.50');

# auth
for my $rt (['GET', '/api/cart'], ['POST', '/api/cart'], ['PATCH', "/api/cart/items/$uuid0"], ['DELETE', "/api/cart/items/$uuid0"]) {
    my $r = req($rt->[0], $rt->[1], ($rt->[0] =~ /POST|PATCH/ ? (json => { variantId => $v1, quantity => 1 }) : ()));
    is($r->{status}, 401, "$rt->[0] $rt->[1] without a token 401");
}

# empty cart, before any cart row exists
my $r = req(GET => '/api/cart', token => $ta);
is($r->{status}, 200, 'empty cart 200');
is_deeply($r->{json}, { items => [], subtotal => '0.00' }, 'empty cart shape');
my ($carts) = sql_row("SELECT count(*) FROM carts c JOIN users u ON u.id = c.user_id WHERE u.email = :'p1'", $alice->{email});
is($carts, 0, 'reading does not create a cart row');

# add
$r = req(POST => '/api/cart', token => $ta, json => { variantId => $v1, quantity => 2 });
is($r->{status}, 201, 'add 201');
my $cart = $r->{json};
is_deeply([sort keys %$cart], ['items', 'subtotal'], 'cart has exactly items and subtotal');
is(scalar @{ $cart->{items} }, 1, 'one line');
my $line = $cart->{items}[0];
is_deeply([sort keys %$line], [sort qw(id variantId productId name label unitPrice quantity lineTotal isAvailable)], 'exact line fields (doc/contract.md §2 plus isAvailable)');
like($line->{id}, qr/^[0-9a-f-]{36}$/, 'line id');
is($line->{variantId}, $v1, 'variantId');
is($line->{productId}, $pid, 'productId');
is($line->{name}, "Chocolate Truffle 1", 'name');
is($line->{label}, 'V1', 'label');
is($line->{unitPrice}, '1299.00', 'unitPrice string');
is($line->{quantity}, 2, 'quantity');
like($r->{content}, qr/"quantity":\s*2[,}]/, 'quantity is a JSON number');
is($line->{lineTotal}, '2598.00', 'lineTotal');
is($cart->{subtotal}, '2598.00', 'subtotal');

# adding the same variant adds to its line
$r = req(POST => '/api/cart', token => $ta, json => { variantId => $v1, quantity => 3 });
is($r->{status}, 201, 'add again 201');
is(scalar @{ $r->{json}{items} }, 1, 'still one line');
is($r->{json}{items}[0]{id}, $line->{id}, 'same line id');
is($r->{json}{items}[0]{quantity}, 5, 'quantities summed');
is($r->{json}{items}[0]{lineTotal}, '6495.00', 'lineTotal 5 x 1299.00');

# a second variant
$r = req(POST => '/api/cart', token => $ta, json => { variantId => $v2, quantity => 1 });
is(scalar @{ $r->{json}{items} }, 2, 'two lines');
is($r->{json}{items}[1]{unitPrice}, '2150.50', 'paise kept');
is($r->{json}{subtotal}, '8645.50', 'subtotal 6495.00 + 2150.50');
my $line2 = $r->{json}{items}[1]{id};

# the price is today's price, from the database
sql("UPDATE variants SET price = 1399.99 WHERE id = :'p1'", $v1);
$r = req(GET => '/api/cart', token => $ta);
is($r->{json}{items}[0]{unitPrice}, '1399.99', "today's price");
is($r->{json}{items}[0]{lineTotal}, '6999.95', 'lineTotal at the new price');
is($r->{json}{subtotal}, '9150.45', 'subtotal at the new price');

# the cap of 20 per line
$r = req(POST => '/api/cart', token => $ta, json => { variantId => $v1, quantity => 16 });
is($r->{status}, 422, '5 + 16 > 20: 422');
is($r->{json}{error}{code}, 'QUANTITY_LIMIT', 'QUANTITY_LIMIT');
$r = req(POST => '/api/cart', token => $ta, json => { variantId => $v1, quantity => 15 });
is($r->{status}, 201, '5 + 15 = 20 allowed');
is($r->{json}{items}[0]{quantity}, 20, 'quantity 20');
$r = req(POST => '/api/cart', token => $ta, json => { variantId => $v1, quantity => 1 });
is($r->{status}, 422, 'one more past 20: 422');
is(req(GET => '/api/cart', token => $ta)->{json}{items}[0]{quantity}, 20, 'refused adds changed nothing');

# bad input
my @bad = (
    [{ quantity => 1 }, 400, 'variantId', 'variantId missing'],
    [{ variantId => 'abc', quantity => 1 }, 400, 'variantId', 'variantId not a UUID'],
    [{ variantId => 5, quantity => 1 }, 400, 'variantId', 'variantId a number'],
    [{ variantId => $v2 }, 400, 'quantity', 'quantity missing'],
    [{ variantId => $v2, quantity => 0 }, 400, 'quantity', 'quantity 0'],
    [{ variantId => $v2, quantity => -3 }, 400, 'quantity', 'quantity negative'],
    [{ variantId => $v2, quantity => 1.5 }, 400, 'quantity', 'quantity fractional'],
    [{ variantId => $v2, quantity => '2' }, 400, 'quantity', 'quantity a string'],
    [{ variantId => $v2, quantity => 21 }, 422, 'quantity', 'quantity 21'],
    [{ variantId => $v2, quantity => 1000000 }, 422, 'quantity', 'quantity a million'],
);
for my $case (@bad) {
    my ($body, $status, $field, $name) = @$case;
    $r = req(POST => '/api/cart', token => $ta, json => $body);
    is($r->{status}, $status, "$name: $status");
    is($r->{json}{error}{field}, $field, "$name: names $field");
}
$r = req(POST => '/api/cart', token => $ta, raw => '{"variantId":"' . $v2 . '","quantity":99999999999999999999999}',
         type => 'application/json');
ok($r->{status} == 400 || $r->{status} == 422, 'overflowing quantity refused');
is(req(GET => '/api/cart', token => $ta)->{json}{items}[1]{quantity}, 1, 'bad adds changed nothing');

# unknown and unsellable variants
$r = req(POST => '/api/cart', token => $ta, json => { variantId => $uuid0, quantity => 1 });
is($r->{status}, 404, 'unknown variant 404');
is($r->{json}{error}{code}, 'VARIANT_NOT_FOUND', 'VARIANT_NOT_FOUND');
my ($p3, $v3) = product('500.00');
for my $case (["UPDATE variants SET is_available = false WHERE id = :'p1'", "UPDATE variants SET is_available = true WHERE id = :'p1'", $v3, 'variant unavailable'],
              ["UPDATE variants SET archived_at = now() WHERE id = :'p1'", "UPDATE variants SET archived_at = NULL WHERE id = :'p1'", $v3, 'variant archived'],
              ["UPDATE products SET is_available = false WHERE id = :'p1'", "UPDATE products SET is_available = true WHERE id = :'p1'", $p3, 'product unavailable'],
              ["UPDATE products SET archived_at = now() WHERE id = :'p1'", "UPDATE products SET archived_at = NULL WHERE id = :'p1'", $p3, 'product archived']) {
    my ($off, $on, $id, $name) = @$case;
    sql($off, $id);
    $r = req(POST => '/api/cart', token => $tb, json => { variantId => $v3, quantity => 1 });
    is($r->{status}, 422, "$name 422");
    is($r->{json}{error}{code}, 'VARIANT_UNAVAILABLE', "$name code");
    sql($on, $id);
}
$r = req(POST => '/api/cart', token => $tb, json => { variantId => $v3, quantity => 1 });
is($r->{status}, 201, 'available again 201');
is_deeply([map { $_->{variantId} } @{ $r->{json}{items} }], [$v3], "bob's cart has only his line");
my $bobline = $r->{json}{items}[0]{id};
ok($r->{json}{items}[0]{isAvailable}, 'a line on sale says so');
sql("UPDATE variants SET is_available = false WHERE id = :'p1'", $v3);
ok(!req(GET => '/api/cart', token => $tb)->{json}{items}[0]{isAvailable}, 'a line taken off sale since is marked');
sql("UPDATE variants SET is_available = true WHERE id = :'p1'", $v3);

# patch a line
$r = req(PATCH => "/api/cart/items/$line->{id}", token => $ta, json => { quantity => 3 });
is($r->{status}, 200, 'patch 200');
is($r->{json}{items}[0]{quantity}, 3, 'quantity set (not added)');
is($r->{json}{items}[0]{lineTotal}, '4199.97', 'lineTotal 3 x 1399.99');
is($r->{json}{subtotal}, '6350.47', 'subtotal 4199.97 + 2150.50');
for my $case ([{ quantity => 0 }, 400], [{ quantity => 21 }, 422], [{}, 400], [{ quantity => 'x' }, 400], [{ quantity => 2.5 }, 400]) {
    my ($body, $status) = @$case;
    $r = req(PATCH => "/api/cart/items/$line->{id}", token => $ta, json => $body);
    is($r->{status}, $status, 'patch ' . JSON::PP->new->canonical->encode($body) . " $status");
    is($r->{json}{error}{field}, 'quantity', 'names quantity');
}
$r = req(PATCH => "/api/cart/items/$line->{id}", token => $tb, json => { quantity => 1 });
is($r->{status}, 404, "patch other user's line 404");
is($r->{json}{error}{code}, 'CART_ITEM_NOT_FOUND', 'line 404 code');
for my $id ($uuid0, 'not-a-uuid') {
    $r = req(PATCH => "/api/cart/items/$id", token => $ta, json => { quantity => 1 });
    is($r->{status}, 404, "patch $id 404");
}
is(req(GET => '/api/cart', token => $ta)->{json}{items}[0]{quantity}, 3, 'refused patches changed nothing');

# delete a line
$r = req(DELETE => "/api/cart/items/$line->{id}", token => $tb);
is($r->{status}, 404, "delete other user's line 404");
$r = req(DELETE => "/api/cart/items/$line->{id}", token => $ta);
is($r->{status}, 200, 'delete 200');
is_deeply([map { $_->{id} } @{ $r->{json}{items} }], [$line2], 'the other line stays');
is($r->{json}{subtotal}, '2150.50', 'subtotal after delete');
$r = req(DELETE => "/api/cart/items/$line->{id}", token => $ta);
is($r->{status}, 404, 'delete again 404');
$r = req(DELETE => '/api/cart/items/42', token => $ta);
is($r->{status}, 404, 'delete non-UUID 404');
$r = req(DELETE => "/api/cart/items/$line2", token => $ta);
is_deeply($r->{json}, { items => [], subtotal => '0.00' }, 'emptied cart');
is(req(GET => '/api/cart', token => $tb)->{json}{items}[0]{id}, $bobline, "bob's line untouched");

# concurrent adds of one variant end in one line with the summed quantity
sub storm {
    my ($token, $variant, $clients, $qty) = @_;
    my @kids;
    for (1 .. $clients) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            # a connection of its own: the parent's TLS session must not be shared
            my $res = HTTP::Tiny->new(verify_SSL => 0, timeout => 30)->post("$ENV{BASE_URL}/api/cart", {
                headers => { 'Content-Type' => 'application/json', Authorization => "Bearer $token" },
                content => qq({"variantId":"$variant","quantity":$qty}) });
            POSIX::_exit($res->{status} == 201 ? 0 : $res->{status} == 422 ? 1 : 2);
        }
        push @kids, $pid;
    }
    my %by;
    for (@kids) { waitpid($_, 0); $by{ $? >> 8 }++ }
    return %by;
}
my $dave = register_user();
my ($p4, $v4) = product('100.00');
my %by = storm($dave->{token}, $v4, 8, 2);
is($by{0}, 8, 'eight concurrent adds all 201');
$r = req(GET => '/api/cart', token => $dave->{token});
is(scalar @{ $r->{json}{items} }, 1, 'one line after concurrent adds');
is($r->{json}{items}[0]{quantity}, 16, 'quantity summed to 16');
my $erin = register_user();
%by = storm($erin->{token}, $v4, 10, 3);
is(($by{0} // 0) + ($by{1} // 0), 10, 'every concurrent add answered 201 or 422');
is($by{0}, 6, 'six adds of 3 fit under 20');
$r = req(GET => '/api/cart', token => $erin->{token});
is($r->{json}{items}[0]{quantity}, 18, 'cap held under concurrency');
is($r->{json}{items}[0]{lineTotal}, '1800.00', 'lineTotal 18 x 100.00');

# the largest prices still add up (no overflow into a 500)
my ($p5, $v5, $v6) = product('99999999.99', '99999999.99');
my $frank = register_user();
req(POST => '/api/cart', token => $frank->{token}, json => { variantId => $_, quantity => 20 }) for $v5, $v6;
$r = req(GET => '/api/cart', token => $frank->{token});
is($r->{status}, 200, 'cart of the largest prices 200');
is($r->{json}{items}[0]{lineTotal}, '1999999999.80', 'lineTotal 20 x 99999999.99');
is($r->{json}{subtotal}, '3999999999.60', 'subtotal of two such lines');

# a cart holds at most 30 different cakes
{
    my $u = register_user();
    my (undef, @v) = product(map { '100.00' } 1 .. 31);
    my $last;
    $last = req(POST => '/api/cart', token => $u->{token}, json => { variantId => $_, quantity => 1 }) for @v[0 .. 29];
    is($last->{status}, 201, 'thirty different cakes fit');
    my $r31 = req(POST => '/api/cart', token => $u->{token}, json => { variantId => $v[30], quantity => 1 });
    is($r31->{status}, 422, 'a thirty-first is refused');
    is($r31->{json}{error}{code}, 'CART_FULL', 'CART_FULL');
    is(req(POST => '/api/cart', token => $u->{token}, json => { variantId => $v[0], quantity => 1 })->{status}, 201,
       'adding to an existing line still works');
}
done_testing;
