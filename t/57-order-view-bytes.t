#!/usr/bin/perl
# 57-order-view-bytes.t: the order lists (GET /api/orders, GET /api/admin/orders), written as
# text straight from the database's rows, are byte for byte what json-c prints for the same
# orders: the single-order answers, still built as json-c objects, are the reference. Texts
# with quotes, backslashes, slashes, unicode, emoji, newlines, tabs and control characters
# (set with SQL: the API refuses those) in inscriptions, gift notes, names and addresses.
use strict;
use warnings;
use Test::More;
use POSIX qw(strftime);
use Encode qw(encode_utf8);
use LaFete::Test;

# the SQL below holds unicode: psql reads UTF-8
sub sql { psql(encode_utf8($_[0])) }
sub sql_row { psql_row(encode_utf8($_[0])) }

my $IST = 5 * 3600 + 1800;
sub day { strftime('%Y-%m-%d', gmtime(time + $IST + $_[0] * 86400)) }
my $DAY = day(15);    # a day no other test books (other orders may still share it: the lists are compared whole)

my $u = register_user(name => "Zo\x{eb} O'Brien", phone => '9876500057');
my $uid = $u->{user}{id};
# a name with a quote, a backslash, a slash and a control character
sql(qq{UPDATE users SET name = \$\$Zo\x{eb} "Z" O'Brien \\ a/b \$\$ || chr(1) || ' \x{1F382}' WHERE id = '$uid'});
my ($aid) = sql_row("INSERT INTO addresses (user_id, label, street, city, pincode, latitude, longitude) "
    . qq{VALUES ('$uid', \$\$"Home" / \x{0918}\x{0930}\$\$, \$\$Flat 3/B, "Rose" Villa \\ 5th Cross\$\$ || chr(9) || 'x' || chr(31), }
    . "'Bengaluru', '560034', 12.935200, 77.624500) RETURNING id");
my ($pid) = sql_row("INSERT INTO products (slug, name, base_price, lead_time_hours) "
    . qq{VALUES ('bytes-$$', \$\$G\x{e2}teau "Op\x{e9}ra" \\ \x{bd}\$\$, 100, 24) RETURNING id});
my ($vid) = sql_row("INSERT INTO variants (product_id, label, weight_grams, price, kitchen_units) "
    . qq{VALUES ('$pid', \$\$1/2 kg "small"\$\$, 500, 450.50, 1) RETURNING id});
my ($vid2) = sql_row("INSERT INTO variants (product_id, label, weight_grams, price, kitchen_units) "
    . "VALUES ('$pid', '1 kg', 1000, 899.00, 2) RETURNING id");

# inscriptions within the 20 characters of a 500 g cake through the API; longer
# texts set with SQL below
my @texts = (
    ["\"Happy\" \\o/ \x{1F382} caf\x{e9}", "With love,\nRavi\t& <all> of us\r\n\x{2764}"],
    ['a/b </p> \u0041', "one\ntwo\n\nthree"],
    [undef, undef],
    ['plain', "\\\\ back\\slashes \\n not a newline"],
);
my @ids;
for my $i (0 .. $#texts) {
    my ($cid) = sql_row("INSERT INTO carts (user_id) VALUES ('$uid') ON CONFLICT (user_id) DO UPDATE SET updated_at = now() RETURNING id");
    sql("INSERT INTO cart_items (cart_id, variant_id, quantity) VALUES ('$cid', '$vid', " . ($i + 1) . ")");
    sql("INSERT INTO cart_items (cart_id, variant_id, quantity) VALUES ('$cid', '$vid2', 1)") if $i % 2;
    my ($msg, $gift) = @{ $texts[$i] };
    my $r = req(POST => '/api/orders', token => $u->{token}, json => {
        addressId => $aid, deliverySlot => sprintf('%sT%02d:00:00+05:30', $DAY, 10 + 2 * $i),
        defined $msg ? (customMessage => $msg) : (), isGift => defined $gift ? JSON::PP::true : JSON::PP::false,
        defined $gift ? (giftMessage => $gift) : () });
    is($r->{status}, 201, "order $i placed") or diag $r->{content};
    push @ids, $r->{json}{id};
}
sql(qq{UPDATE orders SET custom_message = \$\$\x{0928}\x{092E}\x{0938}\x{094D}\x{0924}\x{0947} "quoted" \\ back/slash \x{1F600}\$\$ WHERE id = '$ids[3]'});
# control characters and DEL, which only SQL can put there: \u00xx in both writers
sql("UPDATE orders SET gift_message = 'bell' || chr(7) || ' esc' || chr(27) || ' us' || chr(31) || ' del' || chr(127) || ' ff' || chr(12) || ' bs' || chr(8) WHERE id = '$ids[2]'");
sql("UPDATE orders SET is_gift = true WHERE id = '$ids[2]'");
# a payment and a courier on one order: the nested objects of both shapes
sql("INSERT INTO payments (order_id, razorpay_order_id, amount, status, method, captured_at) "
    . "VALUES ('$ids[1]', 'order_bytes$$', 1000.00, 'CAPTURED', 'upi', now())");
sql("INSERT INTO deliveries (order_id, booking_state, borzo_order_id, status, tracking_url, courier_name, courier_phone, price, booked_at) "
    . qq{VALUES ('$ids[1]', 'BOOKED', 57$$, 'ASSIGNED', 'https://borzo.test/t/1?a=b&c="d"', \$\$Ra\x{fa}l "Fast" \\ Kumar\$\$, '+919800000057', 123.40, now())});
sql("UPDATE orders SET needs_attention = true, attention_reason = \$\$courier \"late\" \\ 5 min\$\$ WHERE id = '$ids[3]'");

# ---- the customer's list against the single orders ----
my $list = req(GET => '/api/orders?limit=100', token => $u->{token});
is($list->{status}, 200, 'GET /api/orders');
my @order = map { $_->{id} } @{ $list->{json}{items} };
is_deeply([sort @order], [sort @ids], 'the list holds the orders');
my %single = map { $_ => req(GET => "/api/orders/$_", token => $u->{token})->{content} } @ids;
my $n = @ids;
is($list->{content}, '{"items":[' . join(',', map { $single{$_} } @order) . "],\"total\":$n,\"limit\":100,\"offset\":0}",
    'the list is byte for byte the single orders (json-c) in a page');
like($single{$ids[2]}, qr/bell\\u0007 esc\\u001b us\\u001f del\x7f ff\\f bs\\b/, 'control characters as json-c escapes them');
like($single{$ids[0]}, qr{\\"Happy\\" \\\\o/ }, 'quotes and backslashes escaped, the slash as is');

my $page = req(GET => '/api/orders?limit=2&offset=1', token => $u->{token});
is($page->{content}, '{"items":[' . join(',', map { $single{$_} } @order[1, 2]) . "],\"total\":$n,\"limit\":2,\"offset\":1}",
    'a page in the middle');
is(req(GET => '/api/orders?offset=1000', token => $u->{token})->{content},
    "{\"items\":[],\"total\":$n,\"limit\":20,\"offset\":1000}", 'past the end: no items, the total still counted');
my $other = register_user();
is(req(GET => '/api/orders', token => $other->{token})->{content}, '{"items":[],"total":0,"limit":20,"offset":0}',
    'another customer has none of them');

# ---- the staff's list against the staff's single orders (minus their history) ----
my $admin = admin_token();
my $staff = req(GET => "/api/admin/orders?date=$DAY&limit=100", token => $admin);
is($staff->{status}, 200, 'GET /api/admin/orders?date=');
my @sorder = map { $_->{id} } @{ $staff->{json}{items} };
my %on_day = map { $_ => 1 } @sorder;
is(scalar(grep { $on_day{$_} } @ids), scalar @ids, 'the day holds the orders');
my $total = $staff->{json}{total};
my %ssingle;
for my $id (@sorder) {
    my $s = req(GET => "/api/admin/orders/$id", token => $admin)->{content};
    my $at = rindex($s, ',"statusHistory":[');
    ok($at > 0, "the staff's order $id ends with its history");
    $ssingle{$id} = substr($s, 0, $at) . '}';
}
is($staff->{content}, '{"items":[' . join(',', map { $ssingle{$_} } @sorder) . "],\"total\":$total,\"limit\":100,\"offset\":0}",
    "the staff's list is byte for byte the staff's single orders (json-c)");
my $pending = req(GET => "/api/admin/orders?date=$DAY&status=PENDING&limit=1&offset=1", token => $admin);
my @pend = grep { $staff->{json}{items}[$_]{status} eq 'PENDING' } 0 .. $#sorder;
is($pending->{content}, '{"items":[' . $ssingle{ $sorder[ $pend[1] ] } . '],"total":' . scalar(@pend) . ',"limit":1,"offset":1}',
    'filtered by status, a page of one');
is(req(GET => '/api/admin/orders?date=' . day(300), token => $admin)->{content},
    '{"items":[],"total":0,"limit":20,"offset":0}', 'a day without orders');
is(req(GET => "/api/admin/orders?date=$DAY")->{status}, 401, 'the staff list wants a token');
is(req(GET => "/api/admin/orders?date=$DAY", token => $u->{token})->{status}, 403, 'and a staff one');

done_testing;
