#!/usr/bin/perl
# 37-catalog-fresh.t: workers keep the public catalog's answers, yet a change made
# by the admin API or the admin pages' path is seen on the very next request, by
# every worker, and one made with plain SQL as soon as its notification arrives
# (the answers are stamped with the catalog's version; README "What workers keep
# in memory").
use strict;
use warnings;
use Test::More;
use HTTP::Tiny;
use LaFete::Test;

my $admin = admin_token();
my $tag = 'fresh' . $$ . int(rand 1e6);
my $T = JSON::PP::true;

my $r = req(POST => '/api/admin/products', token => $admin, json => {
    name => "Lemon Drizzle $tag", basePrice => '899.00', leadTimeHours => 24, isAvailable => $T,
    variants => [ { label => '500 g', weightGrams => 500, price => '899.00' } ] });
is($r->{status}, 201, 'product created') or BAIL_OUT($r->{content});
my $p = $r->{json};
my $q = "/api/products?q=$tag";

# many clients, each its own connection: nginx spreads them over every worker
sub fetch_all {
    my ($path, $n) = @_;
    my @bodies;
    for (1 .. $n) {
        my $res = HTTP::Tiny->new(verify_SSL => 0, timeout => 10)->get(base_url() . $path);
        push @bodies, $res->{status} == 200 ? $res->{content} : "HTTP $res->{status}";
    }
    return @bodies;
}
sub all_like {
    my ($re, $what, @bodies) = @_;
    my @bad = grep { $_ !~ $re } @bodies;
    ok(!@bad, "$what: all " . scalar(@bodies) . " answers") or diag(substr($bad[0], 0, 300));
}

# warm every worker's copy
all_like(qr/Lemon Drizzle \Q$tag\E/, 'list before the change', fetch_all($q, 12));
all_like(qr/Lemon Drizzle \Q$tag\E/, 'product before the change', fetch_all("/api/products/$p->{id}", 12));
my $etag = req(GET => $q)->{headers}{etag};
ok($etag, 'the list has an ETag');

# a change through the admin API is seen at once, everywhere
$r = req(PATCH => "/api/admin/products/$p->{id}", token => $admin, json => { name => "Lime Drizzle $tag" });
is($r->{status}, 200, 'renamed through the admin API');
all_like(qr/Lime Drizzle \Q$tag\E/, 'list right after the rename', fetch_all($q, 12));
all_like(qr/Lime Drizzle \Q$tag\E/, 'product right after the rename', fetch_all("/api/products/$p->{id}", 12));
my $after = req(GET => $q, headers => { 'If-None-Match' => $etag });
is($after->{status}, 200, 'the old ETag no longer matches');
isnt($after->{headers}{etag}, $etag, 'a new ETag');
is(req(GET => $q, headers => { 'If-None-Match' => $after->{headers}{etag} })->{status}, 304, 'the new one does');

# a variant's price
my $vid = $p->{variants}[0]{id};
$r = req(PATCH => "/api/admin/products/$p->{id}/variants/$vid", token => $admin, json => { price => '949.00' });
is($r->{status}, 200, 'price changed');
all_like(qr/"949\.00"/, 'new price on the next requests', fetch_all("/api/products/$p->{id}", 12));

# a write the app never saw (psql, another host) is seen too: triggers bump the
# version and notify each host's listener, which the next request follows; the
# notification travels on its own, so the first answer may precede it by a moment
psql("UPDATE variants SET price = 979.00 WHERE id = :'p1'", $vid);
ok(wait_for(sub { (fetch_all("/api/products/$p->{id}", 1))[0] =~ /"979\.00"/ }, 2), 'a price set with SQL is seen within 2 s');
all_like(qr/"979\.00"/, 'then by every worker', fetch_all("/api/products/$p->{id}", 12));

# archiving takes it off the public list and its page at once
is(req(DELETE => "/api/admin/products/$p->{id}", token => $admin)->{status}, 204, 'archived');
all_like(qr/"total":0/, 'off the list', fetch_all($q, 12));
all_like(qr/^HTTP 404$/, 'its page is gone', fetch_all("/api/products/$p->{id}", 12));

# a rolled-back write changes nothing and bumps nothing visible
my ($v1) = psql_row('SELECT version FROM catalog_version');
psql("BEGIN; UPDATE products SET name = 'never' WHERE id = :'p1'; ROLLBACK", $p->{id});
my ($v2) = psql_row('SELECT version FROM catalog_version');
is($v2, $v1, 'a rolled-back write leaves the version');

done_testing;
