#!/usr/bin/perl
# 64-admin-images.t: the product page's image upload form (multipart, CSRF, sniffing).
use strict;
use warnings;
use Test::More;
use LaFete::Test;
use LaFete::Admin;

my $s = admin_session();
my ($pid) = make_product(name => 'Upload Cake');
my $page = page("/admin/products/$pid", $s);
is($page->{status}, 200, 'product page');
like($page->{content}, qr{enctype="multipart/form-data"}, 'an upload form');
like($page->{content}, qr{<label for="image">}, 'the file input has a label');
my ($csrf) = $page->{content} =~ m{/images".*?name="csrf" value="([0-9a-f]+)"}s;
ok($csrf, 'the upload form carries a CSRF token');

# a real 1x1 PNG, taken from the demo catalog
open my $fh, '<:raw', 'static/cakes/' . (sort { $a cmp $b } map { m{([^/]+)$} } glob 'static/cakes/*.png')[0] or die;
my $png = do { local $/; <$fh> };

sub upload {
    my (%f) = @_;
    my $b = 'XyZzy' . int(rand 1e9);
    my $body = '';
    $body .= "--$b\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n$f{csrf}\r\n" if defined $f{csrf};
    $body .= "--$b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"$f{name}\"\r\n"
           . "Content-Type: image/png\r\n\r\n$f{data}\r\n" if defined $f{data};
    $body .= "--$b--\r\n";
    return req(POST => "/admin/products/$pid/images", raw => $body, type => "multipart/form-data; boundary=$b",
               headers => { Cookie => $f{cookie} // $s->{cookie} });
}

my $r = upload(csrf => $csrf, name => 'cake.png', data => $png);
is($r->{status}, 303, 'upload redirects back');
like($r->{headers}{location} // '', qr{/admin/products/$pid\?m=image_ok$}, 'with a success flash');
my ($url) = psql_row("SELECT images[1] FROM products WHERE id = :'p1'", $pid);
like($url // '', qr{^/media/products/[0-9a-f]{32}\.png$}, 'stored under a random name');
my $img = req(GET => $url);
is($img->{status}, 200, 'served by nginx');
is($img->{content}, $png, 'same bytes');
like(page("/admin/products/$pid", $s)->{content}, qr{<img class="thumb" src="\Q$url\E" alt="Image of Upload Cake"}, 'shown on the page');

$r = upload(csrf => $csrf, name => 'fake.png', data => "\x89PNG\r\n\x1a\n" . ('junk' x 20));
like($r->{headers}{location} // '', qr{m=image_bad$}, 'a fake PNG is refused');
$r = upload(csrf => 'deadbeef', name => 'cake.png', data => $png);
is($r->{status}, 403, 'wrong CSRF token: 403');
$r = upload(name => 'cake.png', data => $png);
is($r->{status}, 403, 'missing CSRF token: 403');
$r = upload(csrf => $csrf, name => 'cake.png', data => $png, cookie => customer_session()->{cookie});
is($r->{status}, 403, 'a customer cookie: 403');
$r = upload(csrf => $csrf, name => 'cake.png', data => $png, cookie => '');
is($r->{status}, 303, 'anonymous: redirected');
like($r->{headers}{location} // '', qr{^/admin/login}, 'to the login page');
is_deeply([psql_row("SELECT cardinality(images) FROM products WHERE id = :'p1'", $pid)], [1], 'only the good upload recorded');
done_testing;
