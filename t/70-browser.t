#!/usr/bin/perl
# 70-browser.t: the admin pages in a real browser. Makes a paid order for tomorrow
# (Kolkata) with psql, then runs t/browser/admin.js (playwright-core driving Debian's
# headless /usr/bin/chromium): sign in, tomorrow's orders, the order, Start baking,
# BAKING and its history row, kitchen, analytics (the charts), products (paging,
# search), jobs. Every page is screenshotted into $STACK_DIR/screenshots/ at desktop
# (1280 px) and phone (390 px) width and checked with axe-core at both: any violation
# of impact "serious" or "critical" fails the test, and so does a page that scrolls
# sideways at 390 px. script/test installs the npm
# packages (npm ci --prefix t/browser).
use strict;
use warnings;
use Test::More;
use JSON::PP;
use FindBin;
use LaFete::Test;
use LaFete::Admin;

binmode $_, ':encoding(UTF-8)' for Test::More->builder->output, Test::More->builder->failure_output,
    Test::More->builder->todo_output;

my $dir = "$FindBin::Bin/browser";
my $chromium = $ENV{CHROMIUM} // '/usr/bin/chromium';
plan skip_all => 'node is not installed' unless grep { -x "$_/node" } split /:/, $ENV{PATH};
plan skip_all => "no Chromium at $chromium" unless -x $chromium;
plan skip_all => 'npm packages missing: npm ci --prefix t/browser'
    unless -d "$dir/node_modules/playwright-core" && -d "$dir/node_modules/axe-core";

# a paid order for tomorrow in Kolkata, with an inscription and a gift message
my $tomorrow = do { local $ENV{TZ} = 'Asia/Kolkata'; my @t = localtime(time + 86400);
                    sprintf '%04d-%02d-%02d', $t[5] + 1900, $t[4] + 1, $t[3] };
my $tag = sprintf '%d-%d', $$, time % 100000;
my %o = (CUSTOMER => "Meera Iyer $tag", INSCRIPTION => "Happy 30th, Kavya! $tag",
         GIFT_MESSAGE => "With love from the team $tag");
my ($pid, $vid) = make_product(name => 'Browser Test Truffle', price => 1200);
my $cust = make_customer($o{CUSTOMER});
my ($oid, $onum) = make_order(user => $cust, slot => "${tomorrow}T16:00:00+05:30", status => 'CONFIRMED',
    message => $o{INSCRIPTION}, gift => 1, gift_message => $o{GIFT_MESSAGE},
    items => [[$pid, $vid, 1, 1200, 'Browser Test Truffle', '1 kg']]);
sql("INSERT INTO payments (order_id, amount, status, method) VALUES (:'p1', 1250, 'CAPTURED', 'upi')", $oid);

# the products list pages (50 a page) and the charts have bars to draw: 60 more products,
# a second size of the truffle with a photo, and delivered orders on the past days
seed_lists_and_charts($pid, $vid, $tag);

my $shots = ($ENV{STACK_DIR} // '/tmp') . '/screenshots';
local @ENV{keys %o} = values %o;
local $ENV{TOMORROW} = $tomorrow;
local $ENV{ORDER_ID} = $oid;
local $ENV{ORDER_NUMBER} = $onum;
local $ENV{SHOT_DIR} = $shots;
local $ENV{BASE_URL} = base_url();

my $t0 = time;
open(my $out, '-|', 'node', "$dir/admin.js") or die "node: $!";
my $json = JSON::PP->new->utf8;
my ($pages, $blocking) = (0, 0);
while (my $line = <$out>) {
    chomp $line;
    my $m = eval { $json->decode($line) };
    unless (ref $m eq 'HASH') { diag "node: $line"; next }
    if (exists $m->{ok}) {
        ok($m->{ok}, $m->{name}) or diag($m->{diag} // '');
    } elsif ($m->{note}) {
        note $m->{note};
    } elsif ($m->{screenshot}) {
        diag "screenshot: $m->{screenshot}";
    } elsif ($m->{axe}) {
        $pages++;
        my @v = @{ $m->{violations} };
        my @bad = grep { ($_->{impact} // '') =~ /^(serious|critical)$/ } @v;
        $blocking += @bad;
        ok(!@bad, "axe: no serious or critical violations on $m->{axe}") or
            diag join "\n", map { my $v = $_; "$v->{impact} $v->{id}: $v->{help}\n"
                . join("\n", map { "    $_->{target}: $_->{summary}" } @{ $v->{nodes} }) } @bad;
        diag "axe $m->{axe}: $_->{impact} $_->{id} ($_->{help}) at "
            . join(', ', map { $_->{target} } @{ $_->{nodes} }) for grep { ($_->{impact} // '') !~ /^(serious|critical)$/ } @v;
    }
}
close $out;
is($? >> 8, 0, 'node exited cleanly');
cmp_ok($pages, '>=', 12, 'axe ran on every page');
note sprintf 'browser run took %ds', time - $t0;

# what the browser did is in the database
my @h = sql_row("SELECT from_status, to_status, actor LIKE 'admin:%' FROM order_status_history "
                . "WHERE order_id = :'p1' ORDER BY id DESC LIMIT 1", $oid);
is_deeply(\@h, ['CONFIRMED', 'BAKING', 't'], 'database: history row by the admin');
is((sql_row("SELECT status FROM orders WHERE id = :'p1'", $oid))[0], 'BAKING', 'database: BAKING');

done_testing;

sub seed_lists_and_charts {
    my ($pid, $vid, $tag) = @_;
    sql("INSERT INTO products (slug, name, base_price) SELECT 'browser-' || :'p1' || '-' || g, "
        . "'Browser Cake ' || lpad(g::text, 2, '0'), 1399 FROM generate_series(1, 60) g", $tag);
    sql("INSERT INTO variants (product_id, label, weight_grams, price, kitchen_units) SELECT id, v.l, v.w, v.p, 1 "
        . "FROM products, (VALUES ('500 g', 500, 1399), ('1 kg', 1000, 2599)) v (l, w, p) WHERE slug LIKE 'browser-' || :'p1' || '-%'", $tag);
    my ($small) = sql_row("INSERT INTO variants (product_id, label, weight_grams, price, kitchen_units, sort_order) "
        . "VALUES (:'p1', '500 g', 500, 700, 1, -1) RETURNING id", $pid);
    sql("UPDATE products SET images = ARRAY['/static/cakes/belgian-dark-chocolate-truffle.png'] WHERE id = :'p1'", $pid);
    for my $d (1 .. 6) {
        my $day = do { local $ENV{TZ} = 'Asia/Kolkata'; my @t = localtime(time - $d * 86400);
                       sprintf '%04d-%02d-%02d', $t[5] + 1900, $t[4] + 1, $t[3] };
        make_order(slot => "${day}T12:00:00+05:30", status => 'DELIVERED',
            items => [[$pid, $vid, $d % 3 + 1, 1200, 'Browser Test Truffle', '1 kg'], [$pid, $small, 1, 700, 'Browser Test Truffle', '500 g']]);
        make_order(slot => "${day}T16:00:00+05:30", status => 'CONFIRMED',
            items => [[$pid, $vid, 1, 1200, 'Browser Test Truffle', '1 kg']]) if $d % 2;
    }
}
