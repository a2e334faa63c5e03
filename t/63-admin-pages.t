#!/usr/bin/perl
# 63-admin-pages.t: jobs page and retry, product pages (create, edit, variants, validation), access rules.
use strict;
use warnings;
use Test::More;
use LaFete::Test;
use LaFete::Admin;

my $s = admin_session();
my $cs = customer_session();
for my $p ('/admin/jobs', '/admin/products', '/admin/products/new', '/admin/kitchen', '/admin/analytics') {
    is(req(GET => $p)->{status}, 303, "anonymous $p 303");
    is(page($p, $cs)->{status}, 403, "customer $p 403");
    my $r = page($p, $s);
    is($r->{status}, 200, "admin $p 200");
    like($r->{content}, qr{<link rel="stylesheet" href="/static/admin.css">}, 'stylesheet');
    like($r->{content}, qr{action="/admin/logout"}, 'log out in the header');
    unlike($r->{content}, qr/style=|<script/, 'no inline style or script');
}
my $css = req(GET => '/static/admin.css');
is($css->{status}, 200, 'admin.css served');
like($css->{content}, qr/\@media print/, 'print styles');

# jobs
my ($pid, $vid) = make_product(name => 'Jobs Cake');
my ($oid, $onum) = make_order(slot => '2031-09-01T12:00:00+05:30', items => [[$pid, $vid, 1, 900, 'Jobs Cake', '1 kg']]);
sql("UPDATE orders SET needs_attention = true, attention_reason = 'Borzo <refused> the booking' WHERE id = :'p1'", $oid);
my ($dead) = sql_row("INSERT INTO jobs (kind, order_id, state, attempts, last_error) VALUES ('book_courier', :'p1', 'dead', 5, 'HTTP 500 <b>boom</b>') RETURNING id", $oid);
my ($done) = sql_row("INSERT INTO jobs (kind, state, attempts) VALUES ('send_email', 'done', 1) RETURNING id");
sql("INSERT INTO emails (order_id, kind, to_address, subject, body, state, attempts, last_error) VALUES (:'p1', 'confirmed', 'a\@b.test', 'Your cake', 'x', 'dead', 3, 'SMTP 550')", $oid);
my $r = page('/admin/jobs', $s);
like($r->{content}, qr/HTTP 500 &lt;b&gt;boom&lt;\/b&gt;/, 'dead job with its error, escaped');
like($r->{content}, qr{action="/admin/jobs/$dead/retry"}, 'retry button');
unlike($r->{content}, qr{/admin/jobs/$done/retry}, 'done jobs are not listed');
like($r->{content}, qr/SMTP 550/, 'dead email');
like($r->{content}, qr/#$onum.*Borzo &lt;refused&gt; the booking/s, 'order needing attention');
is(post_form("/admin/jobs/$dead/retry", $s, csrf => '-')->{status}, 403, 'retry without csrf 403');
$r = post_form("/admin/jobs/$dead/retry", $s);
is($r->{status}, 303, 'retry 303');
is($r->{headers}{location}, '/admin/jobs?m=job_retried', 'flash');
is_deeply([sql_row("SELECT state, attempts, run_at <= now() FROM jobs WHERE id = :'p1'", $dead)], ['queued', 0, 't'], 'queued now, attempts 0');
is(post_form("/admin/jobs/$done/retry", $s)->{headers}{location}, '/admin/jobs?m=job_missing', 'a done job is not retried');
is(post_form('/admin/jobs/abc/retry', $s)->{status}, 404, 'non-numeric job 404');
is(post_form('/admin/jobs/99999999999999999999/retry', $s)->{status}, 404, 'huge id 404');

# products: create
$r = post_form('/admin/products/new', $s, name => '', basePrice => 'abc', leadTimeHours => '999');
is($r->{status}, 400, 'invalid product 400');
like($r->{content}, qr/Name must be/, 'name error');
like($r->{content}, qr/Base price must be/, 'price error');
like($r->{content}, qr/Lead time/, 'lead time error');
like($r->{content}, qr/value="999"/, 'typed values kept');
$r = post_form('/admin/products/new', $s, name => 'Rose <Velvet>', description => "Layers\nof love", basePrice => '1299.5',
               leadTimeHours => 12, isAvailable => 1, slug => "rose-velvet-$$");
is($r->{status}, 303, 'product created 303');
my ($new) = $r->{headers}{location} =~ m{^/admin/products/([0-9a-f-]{36})\?m=product_created$};
ok($new, 'to its edit page');
is_deeply([sql_row("SELECT name, base_price, lead_time_hours, is_available, replace(description, E'\\n', '|') FROM products WHERE id = :'p1'", $new)],
          ['Rose <Velvet>', '1299.50', 12, 't', 'Layers|of love'], 'stored');
is(post_form('/admin/products/new', $s, name => 'Dup', basePrice => 1, leadTimeHours => 1, slug => "rose-velvet-$$")->{status}, 409, 'slug taken 409');
is(post_form('/admin/products/new', $s, name => 'X', basePrice => 1, leadTimeHours => 1, slug => 'Bad Slug')->{status}, 400, 'bad slug 400');
is(post_form('/admin/products/new', $s, name => "\x{1}", basePrice => 1, leadTimeHours => 1)->{status}, 400, 'control characters 400');
is(post_form('/admin/products/new', $s, name => 'A', basePrice => 1, leadTimeHours => 1, csrf => '-')->{status}, 403, 'create without csrf 403');

# products: edit, add a variant, edit the variant
$r = page("/admin/products/$new?m=product_created", $s);
is($r->{status}, 200, 'edit page 200');
like($r->{content}, qr/Rose &lt;Velvet&gt;/, 'name escaped');
like($r->{content}, qr/Product created/, 'flash');
$r = post_form("/admin/products/$new", $s, name => 'Rose Velvet', description => '', basePrice => '1399', leadTimeHours => 24,
               label_new => '500 g', weight_new => 500, price_new => '799', units_new => 1, avail_new => 1);
is($r->{status}, 303, 'saved with a new variant');
my ($nv) = sql_row("SELECT id FROM variants WHERE product_id = :'p1' AND label = '500 g'", $new);
ok($nv, 'variant added');
is((sql_row("SELECT is_available FROM products WHERE id = :'p1'", $new))[0], 'f', 'unticked: unavailable');
$r = post_form("/admin/products/$new", $s, name => 'Rose Velvet', basePrice => '1399', leadTimeHours => 24, isAvailable => 1,
               "weight_$nv" => 600, "price_$nv" => '849.00', "units_$nv" => 2);
is($r->{status}, 303, 'variant edited');
is_deeply([sql_row("SELECT weight_grams, price, kitchen_units, is_available FROM variants WHERE id = :'p1'", $nv)],
          [600, '849.00', 2, 'f'], 'variant stored');
$r = post_form("/admin/products/$new", $s, name => 'Rose Velvet', basePrice => '1399', leadTimeHours => 24,
               "weight_$nv" => 0, "price_$nv" => '-1', "units_$nv" => 2);
is($r->{status}, 400, 'invalid variant 400');
like($r->{content}, qr/Weight \(grams\) must be/, 'weight error');
is((sql_row("SELECT price FROM variants WHERE id = :'p1'", $nv))[0], '849.00', 'nothing written');
$r = post_form("/admin/products/$new", $s, name => 'Rose Velvet', basePrice => '1399', leadTimeHours => 24,
               "weight_$nv" => 600, "price_$nv" => '849', "units_$nv" => 2,
               label_new => '500 g', weight_new => 500, price_new => '799', units_new => 1);
is($r->{status}, 409, 'duplicate variant label 409');
like(page('/admin/products?q=Rose+Velvet', $s)->{content}, qr/Rose Velvet.*500 g ₹849/s, 'list shows variants (found by name: 50 a page)');
is(page('/admin/products/nope', $s)->{status}, 404, 'non-UUID product 404');
is(page('/admin/products/00000000-0000-0000-0000-000000000000', $s)->{status}, 404, 'unknown product 404');
is(post_form('/admin/products/00000000-0000-0000-0000-000000000000', $s, name => 'x')->{status}, 404, 'post unknown 404');
is(post_form("/admin/products/$new", $cs, name => 'x')->{status}, 403, 'customer cannot edit');

done_testing;
