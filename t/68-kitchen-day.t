#!/usr/bin/perl
# 68-kitchen-day.t: the kitchen's day as people read it (issue 15 items 1 and 4): times as
# <time datetime title> with words for people on the admin and tracking pages, the day at a
# glance on /admin/orders (per slot: cakes, couriers, attention; the counts in the title),
# the kitchen sheet slot by slot, and an order history that says what it cannot show.
use strict;
use warnings;
use utf8;
use Test::More;
use LaFete::Test;
use LaFete::Admin;
use LaFete::Fulfil ();

binmode $_, ':encoding(UTF-8)' for Test::More->builder->output, Test::More->builder->failure_output;

my $s = admin_session();
my $get = sub { my $r = page($_[0], $s); is($r->{status}, 200, "$_[0] 200"); my $h = $r->{content}; utf8::decode($h); $h };

# No timestamp in the text people read: RFC 3339 only inside attributes (datetime="...").
sub no_raw_times {
    my ($html, $name) = @_;
    (my $text = $html) =~ s/<[^>]*>//g;
    unlike($text, qr/\d{4}-\d\d-\d\d[T ]\d\d:\d\d/, "$name: no raw timestamp in the text");
}

# ---- a seeded day: 2031-03-11 (a Tuesday) ----
my $day = '2031-03-11';
my ($pid, $vid) = make_product(name => 'Glance Truffle');
my $kg = sub { [[$pid, $vid, $_[0], 1000, 'Glance Truffle', $_[1] // '1 kg']] };
# 00:00 IST on the 11th is 18:30 UTC on the 10th: it belongs to the 11th
my ($g, $gn) = make_order(slot => '2031-03-10T18:30:00Z', status => 'CONFIRMED', items => $kg->(1));
my ($a, $an) = make_order(slot => "${day}T10:00:00+05:30", status => 'CONFIRMED', message => 'Happy 5th, Ira!', items => $kg->(2));
sql("INSERT INTO deliveries (order_id, booking_state, status, courier_name) VALUES (:'p1', 'BOOKED', 'ASSIGNED', 'Ravi')", $a);
my ($b, $bn) = make_order(slot => "${day}T10:00:00+05:30", status => 'BAKING', items => $kg->(1));
sql("UPDATE orders SET needs_attention = true, attention_reason = 'Borzo cancelled the courier' WHERE id = :'p1'", $b);
my ($c, $cn) = make_order(slot => "${day}T14:00:00+05:30", status => 'READY', gift => 1, gift_message => 'For Anu', items => $kg->(3, '500 g'));
make_order(slot => "${day}T14:00:00+05:30", status => 'PENDING', items => $kg->(1));
make_order(slot => "${day}T14:00:00+05:30", status => 'CANCELLED', items => $kg->(5));
make_order(slot => "${day}T14:00:00+05:30", status => 'DELIVERED', items => $kg->(4));
# a cancelled courier is due again
my ($h2, $h2n) = make_order(slot => "${day}T14:00:00+05:30", status => 'CONFIRMED', items => $kg->(1, '500 g'));
sql("INSERT INTO deliveries (order_id, booking_state, status) VALUES (:'p1', 'BOOKED', 'CANCELLED')", $h2);
# 00:00 IST on the 12th (18:30 UTC on the 11th): the next day, not counted
make_order(slot => "${day}T18:30:00Z", status => 'CONFIRMED', items => $kg->(9));

my $html = $get->("/admin/orders?date=$day");
like($html, qr{<title>Tue 11 Mar 2031 — 6 orders, 1 needs attention · La Fête 365 admin</title>}, 'title: the day, paid orders, attention');
like($html, qr{<h1>Orders for <time datetime="$day" title="Tuesday 11 March 2031">Tue 11 Mar 2031</time></h1>}, 'heading: the day for people');
like($html, qr{<strong>6</strong> paid orders, <strong>8</strong> cakes to bake, <strong>4</strong> couriers still to book, <strong>1</strong> needs attention; 1 awaiting payment\.},
     "the day's totals (cancelled and unpaid cakes are not to bake; the next day's midnight is not this day's)");
my ($tbody) = $html =~ m{<table class="glance-table">.*?<tbody>(.*?)</tbody>}s;
ok($tbody, 'the glance table') or BAIL_OUT('no glance table');
my @rows = $tbody =~ m{<tr>(.*?)</tr>}gs;
is(scalar @rows, 3, 'one row per slot with orders');
like($rows[0], qr{href="#slot-0000"><time datetime="${day}T00:00:00\+05:30" title="Tuesday 11 March 2031, 00:00–02:00 IST">00:00–02:00</time>}, 'midnight IST slot first, as a <time>');
like($rows[0], qr{0 booked, <span class="[a-z]*">1 due <time datetime="2031-03-10T22:00:00\+05:30" title="Monday 10 March 2031, 22:00 IST">Mon 10 Mar 2031, 22:00</time>}, 'its courier due two hours before, the day before');
like($rows[1], qr{>10:00–12:00</time>}, 'then 10:00');
like($rows[1], qr{<td class="num">2</td>}, '10:00: two paid orders');
like($rows[1], qr{<li>3 × Glance Truffle <span class="muted">\(1 kg\)</span></li>}, '10:00: cakes summed by product and size');
like($rows[1], qr{1 booked, <span class="">1 due <time datetime="${day}T08:00:00\+05:30"}, '10:00: one courier booked, one due at 08:00');
like($rows[1], qr{<a href="/admin/orders/$b">#$bn</a> Borzo cancelled the courier}, '10:00: the order needing attention, linked');
like($rows[2], qr{<td class="num">3 <span class="muted">\(\+1 unpaid\)</span> <span class="muted">\(1 cancelled\)</span></td>}, '14:00: paid, unpaid and cancelled counted apart');
like($rows[2], qr{<li>4 × Glance Truffle <span class="muted">\(500 g\)</span></li>}, '14:00: only what is still to bake');
unlike($rows[2], qr{\(1 kg\)}, '14:00: the delivered, cancelled and unpaid cakes are not to bake');
like($rows[2], qr{1 booked, <span class="">2 due}, '14:00: delivered counts as booked; a cancelled courier is due again');
like($rows[2], qr{<span class="muted">none</span>}, '14:00: nothing needs attention');
like($html, qr{<section class="slot" id="slot-1000">\s*<h3>Slot <time datetime="${day}T10:00:00\+05:30"}, 'the glance links to the slot sections');
like($html, qr{href="/admin/kitchen\?date=$day"}, 'a link to the printable sheet');
no_raw_times($html, 'orders');
# the filter narrows the cards, never the glance
$html = $get->("/admin/orders?date=$day&status=READY");
like($html, qr{<title>Tue 11 Mar 2031 — 6 orders, 1 needs attention }, 'filtered: the same title');
like($html, qr{The orders \(READY only\)}, 'filtered: said so');
like($html, qr{#$cn\b}, 'filtered: the READY order');
unlike($html, qr{class="order-no" href="/admin/orders/$a"}, 'filtered: not the CONFIRMED one');
# an empty day
$html = $get->('/admin/orders?date=2031-03-09');
like($html, qr{<title>Sun 9 Mar 2031 — 0 orders · }, 'an empty day: 0 orders, no attention clause');
like($html, qr{No orders for this day\.}, 'an empty day: said so');

# ---- the kitchen sheet: one section per slot with its cakes and its inscriptions ----
$html = $get->("/admin/kitchen?date=$day");
like($html, qr{<title>Kitchen sheet — Tue 11 Mar 2031 · }, 'sheet title');
my @sheets = $html =~ m{(<section class="slot sheet".*?</section>)}gs;
is(scalar @sheets, 3, 'three slots to bake');
like($sheets[1], qr{Slot <time datetime="${day}T10:00:00\+05:30" title="Tuesday 11 March 2031, 10:00–12:00 IST">Tue 11 Mar 2031, 10:00–12:00</time> <span class="muted">\(3 cakes, 2 orders\)</span>}, 'sheet: the slot for people, its counts');
like($sheets[0], qr{<span class="muted">\(1 cake, 1 order\)</span>}, 'sheet: one of each in the singular (the 00:00 slot)');
like($sheets[1], qr{<p class="big-inscription">Happy 5th, Ira!</p>}, "sheet: the slot's inscription, large, in its slot");
unlike($sheets[2], qr{Happy 5th}, "sheet: not in another slot's page");
like($sheets[2], qr{<p class="gift">Gift: For Anu</p>}, "sheet: the gift in its slot");
like($sheets[2], qr{<td>500 g</td><td class="num qty">4</td>}, 'sheet: 14:00 quantities summed by size');
no_raw_times($html, 'kitchen');
my $css = req(GET => '/static/admin.css')->{content};
like($css, qr/\@media print \{[^}]*?\.sheet \{ break-inside: auto; break-after: page; \}/s, 'print: one slot a page');
like($css, qr/\.sheet \.big-inscription \{ font-size: 32pt; \}/, 'print: inscriptions large');

# ---- the order page: the slot, and a history honest about what it lists ----
$html = $get->("/admin/orders/$a");
like($html, qr{<dt>Slot</dt><dd><time datetime="${day}T10:00:00\+05:30" title="Tuesday 11 March 2031, 10:00–12:00 IST">Tue 11 Mar 2031, 10:00–12:00</time></dd>}, 'order: the slot for people');
like($html, qr{No status change of this order was recorded: it was written into the database directly}, 'order made with SQL: the empty history says why');
like($html, qr{<title>Order #$an · }, 'order: its number in the title');
no_raw_times($html, 'order');
is(post_form("/admin/orders/$a/status", $s, status => 'BAKING')->{status}, 303, 'moved on the page');
is(req(PATCH => "/api/admin/orders/$a/status", token => admin_token(), json => { status => 'READY' })->{status}, 200, 'moved through the API');
$html = $get->("/admin/orders/$a");
my ($hist) = $html =~ m{<ol class="history">(.*?)</ol>}s;
my @li = $hist =~ m{<li[^>]*>(.*?)</li>}gs;
is(scalar @li, 3, 'the gap, then two rows');
like($li[0], qr{Changes before this one were made outside the shop}, 'the placing, made with SQL, is a gap said aloud');
like($li[1], qr{^<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+05:30" title="\w+day \d+ \w+ \d{4}, \d\d:\d\d IST">(now|1 min ago)</time> CONFIRMED → <strong>BAKING</strong> by staff$}, 'the page\'s move: when, for people, and by whom');
like($li[2], qr{BAKING → <strong>READY</strong> by staff}, "the API's move is listed too");
unlike($html, qr{that change was made outside the shop}, 'no gap after the last row');
sql("UPDATE orders SET status = 'DISPATCHED' WHERE id = :'p1'", $a);
like($get->("/admin/orders/$a"), qr{It is DISPATCHED now: that change was made outside the shop and is not listed\.}, 'a status written by hand: said so');

# partners' changes are listed, with words for the actor; the tracking page says when, for people
my $o = LaFete::Fulfil::make_order();
is(req(POST => "/api/delivery/book/$o->{id}", token => admin_token())->{status}, 200, 'booked through the API');
my $bid = LaFete::Fulfil::db_one("SELECT borzo_order_id FROM deliveries WHERE order_id = :'p1'", $o->{id});
LaFete::Fulfil::borzo_callback(order_id => $bid + 0, delivery_status => 'finished');
$html = $get->("/admin/orders/$o->{id}");
like($html, qr{CONFIRMED → <strong>DISPATCHED</strong> by staff \(Borzo order $bid\)}, 'the booking, by staff through the API');
like($html, qr{DISPATCHED → <strong>DELIVERED</strong> by Borzo \(the courier\)}, "Borzo's callback, in words");
my $r = req(GET => "/track/$o->{token}");
my $track = $r->{content};
utf8::decode($track);
like($track, qr{<p class="slot">Delivery: <time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:00\+05:30" title="\w+day \d+ \w+ \d{4}, \d\d:\d\d–\d\d:\d\d IST">\w{3} \d+ \w{3}( \d{4})?, \d\d:\d\d–\d\d:\d\d</time></p>}, 'tracking: the slot for people');
like($track, qr{<li><time datetime="[^"]+\+05:30" title="[^"]+ IST">(now|1 min ago)</time> Delivered</li>}, 'tracking: the history with times for people');
no_raw_times($track, 'tracking');

# ---- the jobs page ----
my ($jid) = sql_row("INSERT INTO jobs (kind, order_id, state, attempts, last_error, run_at) VALUES "
                    . "('book_courier', :'p1', 'queued', 2, 'HTTP 503', now() + interval '25 minutes 30 seconds') RETURNING id", $b);
sql("INSERT INTO emails (order_id, kind, to_address, subject, body, state, attempts, send_after) VALUES "
    . "(:'p1', 'delivered', 'k\@b.test', 'Late', 'x', 'dead', 8, now() - interval '3 hours 10 minutes')", $b);
$html = $get->('/admin/jobs');
like($html, qr{Next run <time datetime="[^"]+\+05:30" title="[^"]+ IST">in 25 min</time>}, 'jobs: next run, relative');
like($html, qr{after <time datetime="[^"]+\+05:30" title="[^"]+ IST">3 h ago</time>}, 'jobs: the email, relative');
like($html, qr{#$bn</a>.*?Slot <time datetime="${day}T10:00:00\+05:30" title="Tuesday 11 March 2031, 10:00–12:00 IST">Tue 11 Mar 2031, 10:00–12:00</time>}s, 'jobs: the attention list\'s slot for people');
no_raw_times($html, 'jobs');

done_testing;
