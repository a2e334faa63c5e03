#!/usr/bin/perl
# 69-admin-products-list.t: the admin's products list (GET /admin/products): search by
# name, the availability and archived filters, 50 a page with the filters kept in the
# links, the counts, a thumbnail per product, the sizes folded into one line.
use strict;
use warnings;
use Test::More;
use LaFete::Test;
use LaFete::Admin;

my $s = admin_session();
my $tag = sprintf 'Plist%dx%d', $$, time % 100000;

# 61 products on sale (one unavailable), one archived, each with three sizes (the 2 kg
# unavailable) and an archived 3 kg that the line leaves out
sql("INSERT INTO products (slug, name, base_price, is_available, archived_at) "
    . "SELECT lower(:'p1') || '-' || g, :'p1' || ' Cake ' || lpad(g::text, 3, '0'), 1399, g <> 7, "
    . "CASE WHEN g = 62 THEN now() END FROM generate_series(1, 62) g", $tag);
sql("INSERT INTO variants (product_id, label, weight_grams, price, kitchen_units, is_available, sort_order, archived_at) "
    . "SELECT p.id, v.label, v.w, v.price, 1, v.avail, v.ord, CASE WHEN v.arch THEN now() END FROM products p, "
    . "(VALUES ('500 g', 500, 1399, true, 1, false), ('1 kg', 1000, 2599, true, 2, false), ('2 kg', 2000, 4999, false, 3, false), "
    . "('3 kg', 3000, 7000, true, 4, true)) v (label, w, price, avail, ord, arch) WHERE p.name LIKE :'p1' || ' Cake %'", $tag);
my ($first) = sql_row("SELECT id FROM products WHERE name = :'p1' || ' Cake 001'", $tag);
sql("UPDATE products SET images = ARRAY['/media/products/first.jpg', '/media/products/second.jpg'] WHERE id = :'p1'", $first);

sub list { my $r = page('/admin/products?' . join('&', @_), $s); $r }
sub enc { my $v = shift; $v =~ s/([^A-Za-z0-9_.~-])/sprintf '%%%02X', ord $1/ge; $v }
sub names { [ $_[0] =~ m{<p class="product-name">(?:<a href="[^"]+">)?([^<\n]+)}g ] }

# search, paging and counts
my $r = list("q=$tag");
is($r->{status}, 200, 'search 200');
like($r->{content}, qr{<p class="counts" role="status">61 products, page 1 of 2</p>}, 'counts: 61 on sale, 2 pages');
my $n = names($r->{content});
is(scalar @$n, 50, '50 a page');
is($n->[0], "$tag Cake 001", 'by name: the first');
is($n->[49], "$tag Cake 050", 'by name: the fiftieth');
my ($next) = $r->{content} =~ m{<a rel="next" href="([^"]+)">};
is($next, "/admin/products?q=$tag&amp;page=2", 'next page link keeps the search');
unlike($r->{content}, qr{rel="prev"}, 'no previous page on the first');
like($r->{content}, qr{<input id="q" name="q" type="search" maxlength="100" value="$tag">}, 'the search stays in the form');

$r = list("q=$tag", 'page=2');
like($r->{content}, qr{61 products, page 2 of 2}, 'page 2 of 2');
$n = names($r->{content});
is_deeply([@$n[0, -1]], ["$tag Cake 051", "$tag Cake 061"], 'page 2: the other 11');
is(scalar @$n, 11, 'page 2: 11 rows');
like($r->{content}, qr{<a rel="prev" href="/admin/products\?q=$tag&amp;page=1">}, 'previous page link');
unlike($r->{content}, qr{rel="next"}, 'no next page on the last');
$r = list("q=$tag", 'page=99');
is($r->{status}, 200, 'past the end: 200');
like($r->{content}, qr{61 products, page 2 of 2}, 'past the end: the last page');

$r = list('q=' . lc($tag) . '+cake+00');
like($r->{content}, qr{9 products, page 1 of 1}, 'case-insensitive, spaces kept: Cake 001..009');
$r = list('q=zz-no-such-cake-' . $tag);
like($r->{content}, qr{0 products, page 1 of 1}, 'no match: counted');
like($r->{content}, qr{No product matches\.}, 'no match: said');

# LIKE's wildcards are plain characters in a search
sql("INSERT INTO products (slug, name, base_price) VALUES (lower(:'p1') || '-pct', :'p1' || ' 50% off', 100), "
    . "(lower(:'p1') || '-pcx', :'p1' || ' 50x off', 100)", $tag);
is_deeply(names(list('q=' . enc("$tag 50%"))->{content}), ["$tag 50% off"], '% is a percent sign');
is_deeply(names(list('q=' . enc("$tag 50_"))->{content}), [], '_ is an underscore');
is_deeply(names(list('q=' . enc("$tag 50\\"))->{content}), [], 'a backslash is a backslash');

# the filters
$r = list("q=$tag+Cake", 'available=no');
is_deeply(names($r->{content}), ["$tag Cake 007"], 'unavailable only');
like($r->{content}, qr{<span class="badge st-CANCELLED">Unavailable</span>}, 'marked unavailable');
like($r->{content}, qr{<option value="no" selected>Unavailable</option>}, 'the filter stays selected');
like(list("q=$tag+Cake", 'available=yes')->{content}, qr{60 products, page 1 of 2}, 'available only');
$r = list("q=$tag+Cake", 'archived=yes');
is_deeply(names($r->{content}), ["$tag Cake 062"], 'archived only');
like($r->{content}, qr{<p class="product-name">$tag Cake 062\s*<span class="badge st-CANCELLED">Archived</span>}, 'archived: marked, no edit link');
like(list("q=$tag+Cake", 'archived=all')->{content}, qr{62 products, page 1 of 2}, 'archived or not');
$r = list("q=$tag+Cake", 'available=yes', 'archived=all');
like($r->{content}, qr{61 products}, 'both filters');
($next) = $r->{content} =~ m{<a rel="next" href="([^"]+)">};
is($next, "/admin/products?q=$tag%20Cake&amp;available=yes&amp;archived=all&amp;page=2", 'the next link keeps every filter');
like(page(($next =~ s/&amp;/&/gr), $s)->{content}, qr{61 products, page 2 of 2}, 'and leads to page 2');

# one line per product: thumbnail, the sizes folded
$r = list("q=$tag+Cake+001");
my ($row) = $r->{content} =~ m{(<li class="product-row">.*?</li>)}s;
like($row, qr{<img class="product-thumb" src="/media/products/first\.jpg" alt="Photo of $tag Cake 001" width="64" height="64" loading="lazy">},
     'the first image as a thumbnail, sized, described, lazy');
like($row, qr{<p class="product-sizes">500 g ₹1,399 · 1 kg ₹2,599 · 2 kg ₹4,999 \(unavailable\)</p>}, 'the sizes in one line (archived left out)');
like($row, qr{<a href="/admin/products/$first">$tag Cake 001</a>}, 'editing stays on the product page');
like($row, qr{From ₹1,399 · lead time 24 h}, 'base price with the grouping');
unlike($row, qr{<table}, 'no table of variants');
($row) = list("q=$tag+Cake+002")->{content} =~ m{(<li class="product-row">.*?</li>)}s;
like($row, qr{<span class="product-thumb product-thumb-none" aria-hidden="true"></span>}, 'no image: a placeholder');

# escaping
sql("INSERT INTO products (slug, name, base_price) VALUES (lower(:'p1') || '-x', :'p1' || ' <b>Bold</b>', 100)", $tag);
$r = list('q=' . enc("$tag <b>"));
like($r->{content}, qr{$tag &lt;b&gt;Bold&lt;/b&gt;}, 'names escaped');
like($r->{content}, qr{value="$tag &lt;b&gt;"}, 'the search escaped in the form');

# bad parameters: a 400 page saying what is wrong
for my $c (['page=0', 'Page must be'], ['page=-1', 'Page must be'], ['page=abc', 'Page must be'], ['page=100001', 'Page must be'],
           ['page=1.5', 'Page must be'], ['available=maybe', 'Availability must be'], ['archived=x', 'Archived must be'],
           ['q=' . ('a' x 101), 'Search for at most 100'], ['q=a%01b', 'Search for at most 100'], ['q=%FF', 'Search for at most 100']) {
    $r = list($c->[0]);
    is($r->{status}, 400, "$c->[0]: 400");
    like($r->{content}, qr{role="alert">\Q$c->[1]\E}, "$c->[0]: says what");
}
is(list('q=' . ('é' x 100) =~ s/é/%C3%A9/gr)->{status}, 200, '100 characters (200 bytes) are fine');
is(list('page=1', 'q=', 'available=', 'archived=')->{status}, 200, 'empty parameters are the defaults');

# access
is(req(GET => "/admin/products?q=$tag")->{status}, 303, 'anonymous: to the login');
is(page("/admin/products?q=$tag", customer_session())->{status}, 403, 'customer 403');

done_testing;
