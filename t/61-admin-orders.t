#!/usr/bin/perl
# 61-admin-orders.t: orders list, detail, status moves, kitchen sheet, the admin orders API, escaping.
use strict;
use warnings;
use Test::More;
use LaFete::Test;
use LaFete::Admin;

my $day = '2031-03-10';
my ($pid, $vid) = make_product(name => 'Belgian Truffle');
my $cust = make_customer('<img src=x onerror=alert(1)>');
my ($oid, $onum) = make_order(user => $cust, slot => "${day}T14:00:00+05:30", status => 'CONFIRMED',
    message => '<script>alert(1)</script>', gift => 1, gift_message => 'Happy "birthday" & more',
    items => [[$pid, $vid, 2, 1000, 'Belgian Truffle', '1 kg']]);
my ($oid2) = make_order(slot => "${day}T10:00:00+05:30", status => 'PENDING',
    items => [[$pid, $vid, 1, 1000, 'Belgian Truffle', '1 kg']]);
sql("INSERT INTO payments (order_id, amount, status) VALUES (:'p1', 2050, 'CAPTURED')", $oid);
sql("INSERT INTO deliveries (order_id, booking_state, tracking_url, courier_name) VALUES (:'p1', 'BOOKED', 'javascript:alert(1)', 'Ravi')", $oid2);

my $s = admin_session();
my $cs = customer_session();

# who may see the pages
for my $p ("/admin/orders?date=$day", "/admin/orders/$oid", "/admin/kitchen?date=$day") {
    my $r = req(GET => $p);
    is($r->{status}, 303, "anonymous $p 303");
    like($r->{headers}{location}, qr{^/admin/login\?next=/admin/}, 'to the login');
    is(page($p, $cs)->{status}, 403, "customer cookie $p 403");
}

# the day's list
my $r = page("/admin/orders?date=$day", $s);
is($r->{status}, 200, 'orders page 200');
my $html = $r->{content};
like($html, qr/#$onum/, 'order number');
like($html, qr/Belgian Truffle/, 'cake name');
like($html, qr/2 × Belgian Truffle/, 'quantity');
like($html, qr{Slot <time datetime="${day}T10:00:00\+05:30"[^>]*>10:00–12:00</time>.*Slot <time datetime="${day}T14:00:00\+05:30"[^>]*>14:00–16:00</time>}s,
     'grouped by slot, in order, as <time>');
like($html, qr/Payment CAPTURED/, 'payment status');
like($html, qr/\+919812345678/, 'phone');
unlike($html, qr/<script>alert/, 'inscription not raw');
like($html, qr/&lt;script&gt;alert\(1\)&lt;\/script&gt;/, 'inscription escaped');
unlike($html, qr/<img src=x/, 'customer name not raw');
like($html, qr/&lt;img src=x onerror=alert\(1\)&gt;/, 'customer name escaped');
like($html, qr/Happy &quot;birthday&quot; &amp; more/, 'gift message escaped');
unlike($html, qr/href="javascript:/, 'a non-https tracking URL is not a link');
$r = page("/admin/orders?date=$day&status=PENDING", $s);
unlike($r->{content}, qr/#$onum\b/, 'status filter');
$r = page('/admin/orders?date=2031-02-30', $s);
is($r->{status}, 200, 'bad date: still a page');
like($r->{content}, qr/not valid/, 'with a message');
like(page('/admin/orders', $s)->{content}, qr/Tomorrow/, 'default day with Today/Tomorrow links');

# the detail page
$r = page("/admin/orders/$oid", $s);
is($r->{status}, 200, 'detail 200');
$html = $r->{content};
like($html, qr/&lt;script&gt;alert\(1\)&lt;\/script&gt;/, 'detail: inscription escaped');
unlike($html, qr/<script>|<img src=x/, 'detail: no raw tags');
like($html, qr/name="status" value="BAKING"/, 'Start baking button');
like($html, qr/name="status" value="CANCELLED"/, 'Cancel button');
unlike($html, qr/name="status" value="(READY|DISPATCHED|DELIVERED)"/, 'only legal next states');
like($html, qr/12 MG Road/, 'address');
is(page('/admin/orders/not-a-uuid', $s)->{status}, 404, 'non-UUID 404');
is(page('/admin/orders/00000000-0000-0000-0000-000000000000', $s)->{status}, 404, 'unknown 404');

# the kitchen sheet
$r = page("/admin/kitchen?date=$day", $s);
is($r->{status}, 200, 'kitchen 200');
$html = $r->{content};
like($html, qr/Belgian Truffle.*1 kg.*>2</s, 'totals per slot');
like($html, qr/class="big-inscription">&lt;script&gt;alert\(1\)&lt;\/script&gt;/, 'kitchen: inscription escaped, large');
unlike($html, qr/<script>|<img src=x/, 'kitchen: no raw tags');

# status change through the form
$r = post_form("/admin/orders/$oid/status", $s, status => 'BAKING', csrf => '-');
is($r->{status}, 403, 'status form without csrf 403');
$r = post_form("/admin/orders/$oid/status", $s, status => 'BAKING', csrf => 'bad');
is($r->{status}, 403, 'status form with a wrong csrf 403');
is((sql_row("SELECT status FROM orders WHERE id = :'p1'", $oid))[0], 'CONFIRMED', 'nothing changed');
$r = post_form("/admin/orders/$oid/status", $s, status => 'BAKING');
is($r->{status}, 303, 'legal move 303');
is($r->{headers}{location}, "/admin/orders/$oid?m=status_ok", 'back with a flash code');
is((sql_row("SELECT status FROM orders WHERE id = :'p1'", $oid))[0], 'BAKING', 'moved');
my ($uid) = sql_row("SELECT id FROM users WHERE email = :'p1'", $ENV{ADMIN_EMAIL});
my @h = sql_row("SELECT from_status, to_status, actor FROM order_status_history WHERE order_id = :'p1' ORDER BY id DESC LIMIT 1", $oid);
is_deeply(\@h, ['CONFIRMED', 'BAKING', "admin:$uid"], 'history row with the admin as actor');
like(page($r->{headers}{location}, $s)->{content}, qr/Status updated/, 'flash shown');
$r = post_form("/admin/orders/$oid/status", $s, status => 'DELIVERED');
is($r->{headers}{location}, "/admin/orders/$oid?m=status_illegal", 'illegal move: flash error');
is((sql_row("SELECT status FROM orders WHERE id = :'p1'", $oid))[0], 'BAKING', 'illegal: unchanged');
is((sql_row("SELECT count(*) FROM order_status_history WHERE order_id = :'p1'", $oid))[0], 1, 'no history for it');
like(page($r->{headers}{location}, $s)->{content}, qr/not allowed/, 'error flash shown');
$r = post_form("/admin/orders/$oid/status", $s, status => '<b>');
like($r->{headers}{location}, qr/m=status_bad$/, 'unknown status: flash');
is(post_form("/admin/orders/xyz/status", $s, status => 'READY')->{status}, 404, 'status of a non-UUID 404');
is(post_form("/admin/orders/$oid/status", $cs, status => 'READY')->{status}, 403, 'customer cannot post');

# the JSON API
my $tok = admin_token();
my $ctok = register_user()->{token};
is(req(GET => "/api/admin/orders?date=$day")->{status}, 401, 'API without token 401');
is(req(GET => "/api/admin/orders?date=$day", token => $ctok)->{status}, 403, 'API as customer 403');
$r = req(GET => "/api/admin/orders?date=$day", token => $tok);
is($r->{status}, 200, 'API list 200');
is($r->{json}{total}, 2, 'two orders that day');
is_deeply([map { $_->{id} } @{ $r->{json}{items} }], [$oid2, $oid], 'by slot time');
is($r->{json}{items}[1]{customMessage}, '<script>alert(1)</script>', 'JSON carries the raw text');
is($r->{json}{items}[1]{items}[0]{quantity}, 2, 'items');
is($r->{json}{items}[1]{payment}{status}, 'CAPTURED', 'payment');
is($r->{json}{items}[1]{customer}{name}, '<img src=x onerror=alert(1)>', 'customer');
is($r->{json}{limit}, 20, 'envelope limit');
$r = req(GET => "/api/admin/orders?date=$day&status=PENDING", token => $tok);
is($r->{json}{total}, 1, 'status filter');
is(req(GET => "/api/admin/orders?date=2031-13-01", token => $tok)->{status}, 400, 'bad date 400');
is(req(GET => "/api/admin/orders?date=$day&status=NOPE", token => $tok)->{status}, 400, 'bad status 400');
is(req(GET => "/api/admin/orders?date=$day&limit=0", token => $tok)->{status}, 400, 'bad limit 400');
$r = req(GET => "/api/admin/orders/$oid", token => $tok);
is($r->{status}, 200, 'one order 200');
is($r->{json}{statusHistory}[0]{to}, 'BAKING', 'with its history');
is($r->{json}{address}{city}, 'Bengaluru', 'address');
is(req(GET => '/api/admin/orders/nope', token => $tok)->{status}, 404, 'non-UUID 404');
is(req(GET => '/api/admin/orders/00000000-0000-0000-0000-000000000000', token => $tok)->{status}, 404, 'unknown 404');
$r = req(PATCH => "/api/admin/orders/$oid/status", token => $tok, json => { status => 'READY' });
is($r->{status}, 200, 'PATCH legal 200');
is($r->{json}{status}, 'READY', 'order answered');
$r = req(PATCH => "/api/admin/orders/$oid/status", token => $tok, json => { status => 'PENDING' });
is($r->{status}, 409, 'PATCH illegal 409');
is($r->{json}{error}{code}, 'ILLEGAL_TRANSITION', 'code');
is(req(PATCH => "/api/admin/orders/$oid/status", token => $tok, json => { status => 'EATEN' })->{status}, 400, 'unknown status 400');
is(req(PATCH => "/api/admin/orders/$oid/status", token => $tok, json => { status => 5 })->{status}, 400, 'non-string 400');
is(req(PATCH => "/api/admin/orders/$oid/status", token => $tok, json => {})->{status}, 400, 'missing 400');
is(req(PATCH => '/api/admin/orders/00000000-0000-0000-0000-000000000000/status', token => $tok, json => { status => 'READY' })->{status}, 404, 'PATCH unknown 404');
is(req(PATCH => "/api/admin/orders/$oid/status", token => $ctok, json => { status => 'READY' })->{status}, 403, 'PATCH as customer 403');
is(req(PATCH => "/api/admin/orders/$oid/status", json => { status => 'READY' })->{status}, 401, 'PATCH anonymous 401');

done_testing;
