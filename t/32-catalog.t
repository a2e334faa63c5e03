#!/usr/bin/perl
# 32-catalog.t: the public catalog: seeded cakes, list filters and paging, one product, ETag/304, images.
use strict;
use warnings;
use Test::More;
use LaFete::Test;

my $admin = admin_token();

# the seeded demo catalog
my $r = req(GET => '/api/products?limit=100');
is($r->{status}, 200, 'list 200');
my $all = $r->{json};
my @seeded = grep { ($_->{images}[0] // '') =~ m{^/static/cakes/} } @{ $all->{items} };
cmp_ok(scalar @seeded, '>=', 12, 'at least 12 seeded cakes');
ok(!(grep { !$_->{isAvailable} } @seeded), 'seeded cakes are available');
is(scalar(grep { @{ $_->{variants} } == 3 } @seeded), scalar @seeded, 'each seeded cake has 3 variants');
my ($rose) = grep { $_->{slug} eq 'rose-pistachio-entremet' } @seeded;
ok($rose, 'Rose Pistachio Entremet seeded');
is($rose->{name}, 'Rose Pistachio Entremet', 'name');
is($rose->{basePrice}, '1499.00', 'base price as a decimal string');
is($rose->{leadTimeHours}, 48, 'lead time');
like($rose->{description}, qr/pistachio/i, 'description');
is_deeply([map { $_->{label} } @{ $rose->{variants} }], ['500 g', '1 kg', '2 kg'], 'variant labels in order');
is_deeply([map { $_->{weightGrams} } @{ $rose->{variants} }], [500, 1000, 2000], 'variant weights');
is_deeply([map { $_->{price} } @{ $rose->{variants} }], ['1499.00', '2699.00', '5099.00'], 'variant prices');
is_deeply([map { $_->{kitchenUnits} } @{ $rose->{variants} }], [1, 2, 4], 'kitchen units');
like($rose->{variants}[0]{id}, qr/^[0-9a-f-]{36}$/, 'variant id');
is($rose->{variants}[0]{isAvailable}, JSON::PP::true, 'variant available');
for my $p (@seeded) {
    my $img = req(GET => $p->{images}[0]);
    ok($img->{status} == 200 && ($img->{headers}{'content-type'} // '') =~ m{^image/(png|webp)},
       "image of $p->{slug} served as an image") or diag("$img->{status} $img->{headers}{'content-type'}");
    ok(length($img->{content}) > 100 && length($img->{content}) < 20000, "image of $p->{slug} is small");
}
is($r->{headers}{'cache-control'}, 'public, max-age=60', 'Cache-Control');

# seeding again changes nothing
my @counts = psql("SELECT (SELECT count(*) FROM products), (SELECT count(*) FROM variants)");
is(system("$ENV{LAFETE_BIN} seed seed >/dev/null 2>&1"), 0, 'seed runs again');
is_deeply([psql("SELECT (SELECT count(*) FROM products), (SELECT count(*) FROM variants)")], \@counts, 'seed is idempotent');

# a product of our own to filter on
my $tag = 'zq' . $$ . int(rand 1e6);
sub create {
    my (%p) = @_;
    my $c = req(POST => '/api/admin/products', token => $admin, json => {
        basePrice => '500.00', variants => [{ label => '1 kg', weightGrams => 1000, price => '900.00' }], %p });
    die "create: $c->{status} $c->{content}" unless $c->{status} == 201;
    return $c->{json};
}
my $a1 = create(name => "Alpha $tag Cake");
my $a2 = create(name => "Beta $tag Cake", isAvailable => JSON::PP::false);
my $a3 = create(name => "Gamma ${tag}_50% Cake");
my $gone = create(name => "Delta $tag Cake");
is(req(DELETE => "/api/admin/products/$gone->{id}", token => $admin)->{status}, 204, 'archive one');
# a variant archived: never listed
my $av = req(POST => "/api/admin/products/$a1->{id}/variants", token => $admin,
             json => { label => '2 kg', weightGrams => 2000, price => '1700.00' })->{json};
is(req(PATCH => "/api/admin/products/$a1->{id}/variants/$av->{id}", token => $admin,
       json => { archived => JSON::PP::true })->{status}, 200, 'archive a variant');

$r = req(GET => "/api/products?q=" . uc($tag));
is($r->{status}, 200, 'search 200');
is($r->{json}{total}, 3, 'search is case-insensitive and skips archived');
is_deeply([map { $_->{name} } @{ $r->{json}{items} }], ["Alpha $tag Cake", "Beta $tag Cake", "Gamma ${tag}_50% Cake"], 'by name');
my ($alpha) = @{ $r->{json}{items} };
is(scalar @{ $alpha->{variants} }, 1, 'archived variant not listed');
is_deeply([sort keys %$alpha], [sort qw(id slug name description basePrice images isAvailable leadTimeHours variants)], 'public product fields');
is_deeply([sort keys %{ $alpha->{variants}[0] }], [sort qw(id label weightGrams price isAvailable kitchenUnits)], 'public variant fields');
is($alpha->{leadTimeHours}, 24, 'default lead time');
is_deeply($alpha->{images}, [], 'no images yet');

$r = req(GET => "/api/products?q=$tag&available=true");
is_deeply([map { $_->{name} } @{ $r->{json}{items} }], ["Alpha $tag Cake", "Gamma ${tag}_50% Cake"], 'available=true');
$r = req(GET => "/api/products?q=$tag&available=false");
is_deeply([map { $_->{name} } @{ $r->{json}{items} }], ["Beta $tag Cake"], 'available=false');
$r = req(GET => "/api/products?q=${tag}_50%25");
is($r->{json}{total}, 1, 'literal _ and % in q');
$r = req(GET => "/api/products?q=${tag}%25");
is($r->{json}{total}, 0, '% is not a wildcard');
$r = req(GET => "/api/products?q=" . substr($tag, 0, 1) . '_' . substr($tag, 2));
is($r->{json}{total}, 0, '_ is not a wildcard');

# paging
$r = req(GET => "/api/products?q=$tag&limit=2&offset=1");
is_deeply([@{ $r->{json} }{qw(total limit offset)}], [3, 2, 1], 'total, limit, offset');
is_deeply([map { $_->{name} } @{ $r->{json}{items} }], ["Beta $tag Cake", "Gamma ${tag}_50% Cake"], 'page 2 of 3');
$r = req(GET => "/api/products?q=$tag&offset=10");
is_deeply([$r->{json}{total}, scalar @{ $r->{json}{items} }], [3, 0], 'past the end: empty page, real total');
$r = req(GET => '/api/products');
is($r->{json}{limit}, 20, 'default limit 20');
is($r->{json}{offset}, 0, 'default offset 0');

for my $bad ('limit=0', 'limit=101', 'limit=abc', 'limit=', 'offset=-1', 'offset=1.5', 'available=yes',
             'available=1', 'q=' . ('x' x 101), 'q=%01', 'q=%C0%AF') {
    $r = req(GET => "/api/products?$bad");
    is($r->{status}, 400, "400 for $bad");
    is($r->{json}{error}{code}, 'VALIDATION_ERROR', "code for $bad");
}

# one product
$r = req(GET => "/api/products/$a1->{id}");
is($r->{status}, 200, 'get one 200');
is($r->{json}{name}, "Alpha $tag Cake", 'name');
is($r->{json}{variants}[0]{price}, '900.00', 'variant price');
is(scalar @{ $r->{json}{variants} }, 1, 'archived variant hidden');
is($r->{headers}{'cache-control'}, 'public, max-age=60', 'Cache-Control on one');
is(req(GET => "/api/products/$a2->{id}")->{json}{isAvailable}, JSON::PP::false, 'unavailable product still readable');
for my $id ($gone->{id}, 'not-a-uuid', '00000000-0000-0000-0000-000000000000', "$a1->{id}x") {
    $r = req(GET => "/api/products/$id");
    is($r->{status}, 404, "404 for $id");
    is($r->{json}{error}{code}, 'NOT_FOUND', "envelope for $id");
}

# ETag and 304
$r = req(GET => "/api/products/$a1->{id}");
my $etag = $r->{headers}{etag};
like($etag, qr/^"[0-9a-f]+"$/, 'ETag on one');
$r = req(GET => "/api/products/$a1->{id}", headers => { 'If-None-Match' => $etag });
is($r->{status}, 304, '304 on a matching If-None-Match');
is($r->{content} // '', '', '304 has no body');
is($r->{headers}{etag}, $etag, '304 repeats the ETag');
is(req(GET => "/api/products/$a1->{id}", headers => { 'If-None-Match' => "\"x\", W/$etag" })->{status}, 304, 'weak and listed tags match');
is(req(GET => "/api/products/$a1->{id}", headers => { 'If-None-Match' => '"nope"' })->{status}, 200, 'other tag: 200');
req(PATCH => "/api/admin/products/$a1->{id}", token => $admin, json => { description => 'Now with more rose' });
$r = req(GET => "/api/products/$a1->{id}", headers => { 'If-None-Match' => $etag });
is($r->{status}, 200, 'changed product: 200 again');
isnt($r->{headers}{etag}, $etag, 'new ETag');
is($r->{json}{description}, 'Now with more rose', 'new content');

$r = req(GET => "/api/products?q=$tag");
my $letag = $r->{headers}{etag};
ok($letag, 'ETag on the list');
is(req(GET => "/api/products?q=$tag", headers => { 'If-None-Match' => $letag })->{status}, 304, 'list 304');
isnt(req(GET => "/api/products?q=$tag&limit=1")->{headers}{etag}, $letag, 'another query, another ETag');
req(PATCH => "/api/admin/products/$a3->{id}/variants/$a3->{variants}[0]{id}", token => $admin, json => { price => '950.00' });
is(req(GET => "/api/products?q=$tag", headers => { 'If-None-Match' => $letag })->{status}, 200, 'a variant change invalidates the list');

$r = req(HEAD => "/api/products?limit=100");
is($r->{status}, 200, 'HEAD list');

like(req(GET => "/api/products?limit=100")->{content}, qr{"/static/cakes/}, "URLs in answers keep their slashes unescaped");
done_testing;
