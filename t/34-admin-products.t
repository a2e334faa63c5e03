#!/usr/bin/perl
# 34-admin-products.t: admin catalog: create (one transaction), edit, archive, variants; validation and auth.
use strict;
use warnings;
use Test::More;
use LaFete::Test;

my $admin = admin_token();
my $cust = register_user()->{token};
my $tag = 'adm' . $$ . int(rand 1e6);
my $T = JSON::PP::true;
sub uuid { $_[0] =~ /^[0-9a-f-]{36}$/ or die "not a uuid: $_[0]"; $_[0] }
my $F = JSON::PP::false;

# create with variants
my $r = req(POST => '/api/admin/products', token => $admin, json => {
    name => "Mango Mousse $tag", description => "Line one\nLine two", basePrice => '1099.50',
    leadTimeHours => 36, isAvailable => $T,
    variants => [
        { label => '500 g', weightGrams => 500, price => '1099.50' },
        { label => '1 kg', weightGrams => 1000, price => 1999, kitchenUnits => 2, isAvailable => $F },
    ] });
is($r->{status}, 201, 'create 201') or diag $r->{content};
my $p = $r->{json};
like($p->{id}, qr/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'uuid');
is($p->{slug}, "mango-mousse-$tag", 'slug made from the name');
is($p->{description}, "Line one\nLine two", 'multi-line description');
is($p->{basePrice}, '1099.50', 'base price');
is($p->{leadTimeHours}, 36, 'lead time');
is($p->{archived}, $F, 'not archived');
is($p->{archivedAt}, undef, 'archivedAt null');
like($p->{createdAt}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/, 'createdAt RFC 3339');
is($r->{headers}{location}, "/api/admin/products/$p->{id}", 'Location');
is(scalar @{ $p->{variants} }, 2, 'two variants');
is_deeply([map { [$_->{label}, $_->{weightGrams}, $_->{price}, $_->{kitchenUnits}, $_->{isAvailable}, $_->{archived}] } @{ $p->{variants} }],
          [['500 g', 500, '1099.50', 1, $T, $F], ['1 kg', 1000, '1999.00', 2, $F, $F]], 'variant values and defaults');
my ($row) = psql("SELECT base_price, lead_time_hours, is_available FROM products WHERE id = '" . uuid($p->{id}) . "'");
is_deeply($row, ['1099.50', 36, 't'], 'stored in the database');

# minimal create, explicit slug, duplicate slug
$r = req(POST => '/api/admin/products', token => $admin, json => { name => "Plain $tag", basePrice => 700, slug => "plain-$tag" });
is($r->{status}, 201, 'minimal create');
my $plain = $r->{json};
is_deeply([$plain->{slug}, $plain->{basePrice}, $plain->{isAvailable}, $plain->{description}, $plain->{variants}],
          ["plain-$tag", '700.00', $T, '', []], 'defaults');
$r = req(POST => '/api/admin/products', token => $admin, json => { name => 'Other', basePrice => 1, slug => "plain-$tag" });
is($r->{status}, 409, 'duplicate slug 409');
is($r->{json}{error}{code}, 'SLUG_TAKEN', 'SLUG_TAKEN');

# a failing variant rolls the product back
my ($count_before) = psql_row("SELECT count(*) FROM products");
$r = req(POST => '/api/admin/products', token => $admin, json => { name => "Twice $tag", basePrice => 1,
    variants => [{ label => 'Same', weightGrams => 1, price => 1 }, { label => 'Same', weightGrams => 2, price => 2 }] });
is($r->{status}, 409, 'duplicate variant labels 409');
is($r->{json}{error}{code}, 'VARIANT_LABEL_TAKEN', 'code');
my ($count_after) = psql_row("SELECT count(*) FROM products");
is($count_after, $count_before, 'no product left behind (one transaction)');

# validation
my %ok = (name => 'X', basePrice => '1.00');
my @bad = (
    [{ basePrice => 1 }, 'name'], [{ name => 'X' }, 'basePrice'], [{ %ok, name => '' }, 'name'],
    [{ %ok, name => 'x' x 121 }, 'name'], [{ %ok, name => "a\nb" }, 'name'], [{ %ok, name => 5 }, 'name'],
    [{ %ok, basePrice => '-1.00' }, 'basePrice'], [{ %ok, basePrice => '1.234' }, 'basePrice'],
    [{ %ok, basePrice => 1.5 }, 'basePrice'], [{ %ok, basePrice => '100000000.00' }, 'basePrice'],
    [{ %ok, slug => 'Has Caps' }, 'slug'], [{ %ok, slug => 'x' x 81 }, 'slug'],
    [{ %ok, description => 'd' x 2001 }, 'description'], [{ %ok, leadTimeHours => 337 }, 'leadTimeHours'],
    [{ %ok, leadTimeHours => -1 }, 'leadTimeHours'], [{ %ok, leadTimeHours => '5' }, 'leadTimeHours'],
    [{ %ok, isAvailable => 'yes' }, 'isAvailable'], [{ %ok, variants => {} }, 'variants'],
    [{ %ok, variants => [1] }, 'variants'], [{ %ok, variants => [({ label => 'a', weightGrams => 1, price => 1 }) x 21] }, 'variants'],
    [{ %ok, variants => [{ weightGrams => 1, price => 1 }] }, 'label'],
    [{ %ok, variants => [{ label => 'a', weightGrams => 0, price => 1 }] }, 'weightGrams'],
    [{ %ok, variants => [{ label => 'a', weightGrams => 20001, price => 1 }] }, 'weightGrams'],
    [{ %ok, variants => [{ label => 'a', weightGrams => 1 }] }, 'price'],
    [{ %ok, variants => [{ label => 'a', weightGrams => 1, price => 1, kitchenUnits => 0 }] }, 'kitchenUnits'],
    [{ %ok, variants => [{ label => 'a' x 41, weightGrams => 1, price => 1 }] }, 'label'],
);
for my $b (@bad) {
    my ($body, $field) = @$b;
    $r = req(POST => '/api/admin/products', token => $admin, json => $body);
    is($r->{status}, 400, "400 for bad $field") or diag $r->{content};
    is($r->{json}{error}{field}, $field, "field $field named");
}
is(req(POST => '/api/admin/products', token => $admin, raw => '{"name":', type => 'application/json')->{status}, 400, 'malformed JSON');

# auth on every admin route
my $id = $p->{id};
my $vid = $p->{variants}[0]{id};
my @routes = (
    [GET => '/api/admin/products'], [POST => '/api/admin/products', { %ok }], [GET => "/api/admin/products/$id"],
    [PATCH => "/api/admin/products/$id", { name => 'Y' }], [DELETE => "/api/admin/products/$id"],
    [POST => "/api/admin/products/$id/variants", { label => 'z', weightGrams => 1, price => 1 }],
    [PATCH => "/api/admin/products/$id/variants/$vid", { price => 1 }],
    [DELETE => "/api/admin/products/$id/images?url=x"],
);
for my $rt (@routes) {
    my ($m, $path, $body) = @$rt;
    my %o = $body ? (json => $body) : ();
    is(req($m => $path, %o)->{status}, 401, "401 without token: $m $path");
    $r = req($m => $path, %o, token => $cust);
    is($r->{status}, 403, "403 for a customer: $m $path");
    is($r->{json}{error}{code}, 'FORBIDDEN', '403 envelope') if $r->{json};
}

# PATCH
$r = req(PATCH => "/api/admin/products/$id", token => $admin, json => { name => "Mango Mousse Deluxe $tag", basePrice => '1199', isAvailable => $F });
is($r->{status}, 200, 'patch 200');
is_deeply([@{ $r->{json} }{qw(name basePrice isAvailable leadTimeHours slug description)}],
          ["Mango Mousse Deluxe $tag", '1199.00', $F, 36, "mango-mousse-$tag", "Line one\nLine two"], 'only the given fields change');
is(req(GET => "/api/products?q=$tag&available=true")->{json}{total}, 1, 'toggled off: not in available=true');
$r = req(PATCH => "/api/admin/products/$id", token => $admin, json => { isAvailable => $T });
is($r->{json}{isAvailable}, $T, 'toggled back on');
$r = req(PATCH => "/api/admin/products/$id", token => $admin, json => {});
is($r->{status}, 200, 'empty patch changes nothing');
is($r->{json}{name}, "Mango Mousse Deluxe $tag", 'unchanged');
$r = req(PATCH => "/api/admin/products/$id", token => $admin, json => { slug => "plain-$tag" });
is($r->{status}, 409, 'patch to a taken slug 409');
$r = req(PATCH => "/api/admin/products/$id", token => $admin, json => { basePrice => 'cheap' });
is($r->{status}, 400, 'patch bad price 400');
$r = req(PATCH => "/api/admin/products/$id", token => $admin, json => { variants => [] });
is($r->{status}, 400, 'variants are not patched here');
for my $bid ('nope', '00000000-0000-0000-0000-000000000000') {
    is(req(PATCH => "/api/admin/products/$bid", token => $admin, json => { name => 'Q' })->{status}, 404, "patch 404 for $bid");
    is(req(DELETE => "/api/admin/products/$bid", token => $admin)->{status}, 404, "delete 404 for $bid");
    is(req(GET => "/api/admin/products/$bid", token => $admin)->{status}, 404, "admin get 404 for $bid");
    is(req(POST => "/api/admin/products/$bid/variants", token => $admin, json => { label => 'a', weightGrams => 1, price => 1 })->{status}, 404, "variant create 404 for $bid");
}

# variants
$r = req(POST => "/api/admin/products/$id/variants", token => $admin, json => { label => '2 kg', weightGrams => 2000, price => '3699.00', kitchenUnits => 4 });
is($r->{status}, 201, 'variant created');
my $v = $r->{json};
is_deeply([@$v{qw(label weightGrams price kitchenUnits isAvailable archived)}], ['2 kg', 2000, '3699.00', 4, $T, $F], 'variant values');
$r = req(POST => "/api/admin/products/$id/variants", token => $admin, json => { label => '2 kg', weightGrams => 2000, price => 1 });
is($r->{status}, 409, 'duplicate label 409');
is($r->{json}{error}{code}, 'VARIANT_LABEL_TAKEN', 'code');
$r = req(POST => "/api/admin/products/$id/variants", token => $admin, json => { label => '3 kg', weightGrams => 3000 });
is($r->{status}, 400, 'variant without price 400');
is($r->{json}{error}{field}, 'price', 'field price');
$r = req(PATCH => "/api/admin/products/$id/variants/$v->{id}", token => $admin, json => { price => '3499.00', isAvailable => $F });
is($r->{status}, 200, 'variant patched');
is_deeply([@{ $r->{json} }{qw(label price isAvailable)}], ['2 kg', '3499.00', $F], 'variant changes');
$r = req(PATCH => "/api/admin/products/$id/variants/$v->{id}", token => $admin, json => { label => '500 g' });
is($r->{status}, 409, 'variant renamed onto a taken label 409');
$r = req(PATCH => "/api/admin/products/$id/variants/$v->{id}", token => $admin, json => { weightGrams => 'heavy' });
is($r->{status}, 400, 'variant bad weight 400');
is(req(PATCH => "/api/admin/products/$plain->{id}/variants/$v->{id}", token => $admin, json => { price => 1 })->{status}, 404,
   'variant of another product 404');
is(req(PATCH => "/api/admin/products/$id/variants/nope", token => $admin, json => { price => 1 })->{status}, 404, 'non-uuid variant 404');
$r = req(PATCH => "/api/admin/products/$id/variants/$v->{id}", token => $admin, json => { archived => $T });
is($r->{json}{archived}, $T, 'variant archived');
is(scalar @{ req(GET => "/api/products/$id")->{json}{variants} }, 2, 'archived variant hidden publicly');
is(scalar @{ req(GET => "/api/admin/products/$id", token => $admin)->{json}{variants} }, 3, 'but shown to admins');

# archive and restore
is(req(DELETE => "/api/admin/products/$id", token => $admin)->{status}, 204, 'archive 204');
is(req(GET => "/api/products/$id")->{status}, 404, 'archived: 404 publicly');
is(req(GET => "/api/products?q=Deluxe%20$tag")->{json}{total}, 0, 'archived: not listed');
$r = req(GET => "/api/admin/products?q=Deluxe%20$tag", token => $admin);
is($r->{status}, 200, 'admin list 200');
is($r->{json}{total}, 1, 'admin list includes archived');
is($r->{json}{items}[0]{archived}, $T, 'with the flag');
like($r->{json}{items}[0]{archivedAt}, qr/^\d{4}-/, 'and when');
is($r->{headers}{'cache-control'}, 'no-store', 'admin list not cached');
is(req(GET => "/api/admin/products?q=$tag&archived=false", token => $admin)->{json}{total}, 1, 'archived=false filter');
is(req(GET => "/api/admin/products?q=$tag&archived=true", token => $admin)->{json}{total}, 1, 'archived=true filter');
is(req(GET => "/api/admin/products?archived=maybe", token => $admin)->{status}, 400, 'bad archived filter 400');
is(req(GET => "/api/admin/products?limit=500", token => $admin)->{status}, 400, 'bad limit 400');
is(req(DELETE => "/api/admin/products/$id", token => $admin)->{status}, 204, 'archive again is harmless');
$r = req(PATCH => "/api/admin/products/$id", token => $admin, json => { archived => $F });
is($r->{json}{archived}, $F, 'restored');
is(req(GET => "/api/products/$id")->{status}, 200, 'back in the catalog');

done_testing;
