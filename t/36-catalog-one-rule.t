#!/usr/bin/perl
# 36-catalog-one-rule.t: the JSON API and the admin pages write the catalog by the same rules
# (src/catalog.c): the same bounds, the same order of new sizes, the same 404 for a variant.
use strict;
use warnings;
use Test::More;
use LaFete::Test;
use LaFete::Admin;

my $admin = admin_token();
my $s = admin_session();
my $tag = 'one' . $$ . int(rand 1e6);

# the same price cap on both fronts
my $r = req(POST => '/api/admin/products', token => $admin, json => { name => "Api $tag", basePrice => '9999999.99' });
is($r->{status}, 201, 'API: the highest price is accepted');
my $api = $r->{json}{id};
is(req(POST => '/api/admin/products', token => $admin, json => { name => "Api2 $tag", basePrice => '10000000.00' })->{status},
   400, 'API: above it is refused');
$r = post_form('/admin/products/new', $s, name => "Page $tag", basePrice => '9999999.99', leadTimeHours => 1);
is($r->{status}, 303, 'page: the highest price is accepted');
my ($page) = ($r->{headers}{location} // '') =~ m{/admin/products/([0-9a-f-]{36})};
$r = post_form('/admin/products/new', $s, name => "Page2 $tag", basePrice => '10000000', leadTimeHours => 1);
is($r->{status}, 400, 'page: above it is refused');
like($r->{content}, qr/Base price must be an amount in rupees/, 'with the form\'s sentence');

# the same slug rule
is(req(POST => '/api/admin/products', token => $admin, json => { name => 'x', basePrice => 1, slug => "Bad $tag" })->{status},
   400, 'API: bad slug');
is(post_form('/admin/products/new', $s, name => 'x', basePrice => 1, leadTimeHours => 1, slug => "Bad $tag")->{status},
   400, 'page: bad slug');

# a new size goes after the others, the first at 0, whichever front adds it
req(POST => "/api/admin/products/$api/variants", token => $admin, json => { label => 'A', weightGrams => 2000, price => 1 });
req(POST => "/api/admin/products/$api/variants", token => $admin, json => { label => 'B', weightGrams => 1000, price => 1 });
post_form("/admin/products/$page", $s, name => "Page $tag", basePrice => '1', leadTimeHours => 1,
          label_new => 'A', weight_new => 2000, price_new => 1, units_new => 1);
my ($b) = psql_row("SELECT id FROM variants WHERE product_id = :'p1'", $page);
$r = post_form("/admin/products/$page", $s, name => "Page $tag", basePrice => '1', leadTimeHours => 1,
               "weight_$b" => 2000, "price_$b" => 1, "units_$b" => 1, label_new => 'B', weight_new => 1000, price_new => 1, units_new => 1);
is($r->{status}, 303, 'page: a second size');
for my $id ($api, $page) {
    is_deeply([map { $_->[0] } psql("SELECT label || sort_order FROM variants WHERE product_id = :'p1' ORDER BY sort_order", $id)],
              ['A0', 'B1'], 'sizes in the order they were added, from 0');
    is_deeply([map { $_->{label} } @{ req(GET => "/api/products/$id")->{json}{variants} }], ['A', 'B'], 'and listed so');
}

# one answer for a variant that is not there, however its id is spelled
for my $vid ('nope', '00000000-0000-0000-0000-000000000000') {
    $r = req(PATCH => "/api/admin/products/$api/variants/$vid", token => $admin, json => { price => 1 });
    is($r->{status}, 404, "variant $vid: 404");
    is_deeply($r->{json}, { error => { code => 'NOT_FOUND', message => 'No such variant' } }, "variant $vid: the same envelope");
}
done_testing;
