#!/usr/bin/perl
# 65-admin-book.t: the order page's "Book courier" button uses the same booking as the API.
use strict;
use warnings;
use Test::More;
use LaFete::Test;
use LaFete::Admin;

my $s = admin_session();
my ($pid, $vid) = make_product(name => 'Button Cake');
my $slot = (psql_row("SELECT to_char(date_trunc('hour', now() AT TIME ZONE 'Asia/Kolkata') + interval '1 day 2 hours', "
                     . "'YYYY-MM-DD\"T\"HH24:00:00+05:30')"))[0];
my ($oid) = make_order(items => [[$pid, $vid, 1, 1200, 'Button Cake', '1 kg']], slot => $slot);
psql("UPDATE orders SET address = :'p2'::jsonb WHERE id = :'p1'", $oid,
     '{"street":"12 MG Road","city":"Bengaluru","pincode":"560001","latitude":12.9755,"longitude":77.6066,'
     . '"contactName":"Asha Rao","contactPhone":"+919812345678"}');

my $page = page("/admin/orders/$oid", $s);
like($page->{content}, qr{action="/admin/orders/$oid/book"}, 'a paid order offers "Book courier"');
my $r = post_form("/admin/orders/$oid/book", $s, csrf => '-');
is($r->{status}, 403, 'no CSRF token: 403');
$r = post_form("/admin/orders/$oid/book", customer_session());
is($r->{status}, 403, 'a customer: 403');

my $before = scalar grep { $_->{path} =~ m{/create-order$} } @{ fake_get($ENV{FAKE_BORZO_URL}, '/_fake/requests') };
$r = post_form("/admin/orders/$oid/book", $s);
is($r->{status}, 303, 'booking redirects back');
like($r->{headers}{location} // '', qr{/admin/orders/$oid\?m=book_ok$}, 'with a success flash');
my @creates = grep { $_->{path} =~ m{/create-order$} } @{ fake_get($ENV{FAKE_BORZO_URL}, '/_fake/requests') };
is(scalar(@creates) - $before, 1, 'one Borzo order created');
is_deeply([psql_row("SELECT o.status, d.booking_state FROM orders o JOIN deliveries d ON d.order_id = o.id WHERE o.id = :'p1'", $oid)],
          ['DISPATCHED', 'BOOKED'], 'order DISPATCHED, delivery BOOKED');
$page = page("/admin/orders/$oid?m=book_ok", $s);
like($page->{content}, qr/Courier booked with Borzo/, 'the flash is shown');
unlike($page->{content}, qr{/book"}, 'no second booking button');
like($page->{content}, qr{href="https://track\.borzo\.test/}, "Borzo's tracking link on the page");

$r = post_form("/admin/orders/$oid/book", $s);
like($r->{headers}{location} // '', qr{m=book_already$}, 'booking twice: already booked');
@creates = grep { $_->{path} =~ m{/create-order$} } @{ fake_get($ENV{FAKE_BORZO_URL}, '/_fake/requests') };
is(scalar(@creates) - $before, 1, 'still one Borzo order');

# Borzo cancelled the courier: the page offers a new booking, which replaces it
is(req(POST => "/api/delivery/cancel/$oid", token => admin_token())->{status}, 200, 'courier cancelled');
like(page("/admin/orders/$oid", $s)->{content}, qr{action="/admin/orders/$oid/book"}, 'the page offers a new booking');
$r = post_form("/admin/orders/$oid/book", $s);
like($r->{headers}{location} // '', qr{m=book_ok$}, 'booked again');
is_deeply([psql_row("SELECT booking_state, status FROM deliveries WHERE order_id = :'p1'", $oid)], ['BOOKED', 'SEARCHING'],
          'a fresh courier search');

my ($unpaid) = make_order(items => [[$pid, $vid, 1, 1200]], slot => $slot, status => 'PENDING');
unlike(page("/admin/orders/$unpaid", $s)->{content}, qr{/book"}, 'an unpaid order offers no booking');
$r = post_form("/admin/orders/$unpaid/book", $s);
like($r->{headers}{location} // '', qr{m=book_not_paid$}, 'and refuses one');
done_testing;
