#!/usr/bin/perl
# 66-analytics-summary.t: the analytics read per-day summaries that triggers keep
# (schema/0011). Their answer must be, byte for byte, what the statement they
# replaced computes over the orders themselves (t/oracle/analytics_scan.c, the
# oracle), and each summary must equal its recomputation (analytics_rebuild):
#   1. after orders placed, paid, moved through the kitchen, booked, delivered,
#      refused a courier and cancelled through the API;
#   2. after random mixes of SQL inserts, updates and deletions of orders, items
#      and deliveries (statuses, days across a year's end, amounts, delivery
#      times, renamed and moved lines, rolled-back transactions and savepoints);
#   3. under concurrent writers of one day, with the shop's own lock order
#      (placements book the slot first, cancellations release it last): no
#      update lost, no deadlock.
use strict;
use warnings;
use Test::More;
use POSIX qw(strftime);
use IPC::Open3;
use Symbol 'gensym';
use LaFete::Test;
use LaFete::Fulfil qw(fault borzo_callback);

my $build = $ENV{BUILD_DIR} or plan skip_all => 'BUILD_DIR unset (run through script/test)';
system("make -s -C $build t/oracle/analytics_scan >/dev/null") == 0 or BAIL_OUT('cannot build the oracle');
my $admin = admin_token();
my $IST = 5 * 3600 + 1800;
sub day { strftime('%Y-%m-%d', gmtime(time + $IST + $_[0] * 86400)) }

# The answer computed over the orders by the oracle (the JSON body, no newline).
sub oracle {
    my ($from, $to) = @_;
    my $out = `$build/t/oracle/analytics_scan $from $to`;
    die "analytics_scan $from $to failed\n" if $?;
    chomp $out;
    return $out;
}

# The API's body for the range is the oracle's, byte for byte; returns the API's JSON.
sub same {
    my ($from, $to, $name) = @_;
    my $r = req(GET => "/api/admin/analytics?from=$from&to=$to", token => $admin);
    is($r->{status}, 200, "$name: 200");
    is($r->{content}, oracle($from, $to), "$name: the summaries answer what the orders give ($from..$to)");
    return $r->{json};
}

# Every summary row equals its recomputation from the orders (analytics_rebuild in a
# transaction rolled back); the delivery minutes are compared as text, scale included.
sub tables_exact {
    my ($name) = @_;
    my @diff = psql(<<'SQL');
BEGIN;
CREATE TEMP VIEW summary_now AS
  SELECT 'orders' AS t, format('%s %s %s', day, slot, status) AS k, format('%s %s %s', orders, amount, units) AS v
    FROM analytics_day_orders WHERE (orders, amount, units) <> (0, 0, 0)
  UNION ALL SELECT 'delivered', format('%s %s %s', day, late, scale), format('%s %s', orders, minutes)
    FROM analytics_day_delivered WHERE (orders, minutes) <> (0, 0)
  UNION ALL SELECT 'bookings', day::text, format('%s %s', booked, failed)
    FROM analytics_day_bookings WHERE (booked, failed) <> (0, 0)
  UNION ALL SELECT 'cakes', format('%s %s %s %s %s', day, product_id, product_name, variant_id, variant_label),
         format('%s %s %s', lines, quantity, revenue)
    FROM analytics_day_cakes WHERE (lines, quantity, revenue) <> (0, 0, 0);
CREATE TEMP TABLE kept AS SELECT * FROM summary_now;
DO $$ BEGIN PERFORM analytics_rebuild(); END $$;
SELECT 'summary only', * FROM (SELECT * FROM kept EXCEPT ALL SELECT * FROM summary_now) a
UNION ALL SELECT 'rebuild only', * FROM (SELECT * FROM summary_now EXCEPT ALL SELECT * FROM kept) b;
SELECT 'pending', count(*) FROM (SELECT tx FROM analytics_pending_tx UNION ALL SELECT tx FROM analytics_day_orders_pending
  UNION ALL SELECT tx FROM analytics_day_delivered_pending UNION ALL SELECT tx FROM analytics_day_bookings_pending
  UNION ALL SELECT tx FROM analytics_day_cakes_pending) p HAVING count(*) > 0;
ROLLBACK;
SQL
    is(scalar @diff, 0, "$name: every summary row is its recomputation, nothing left pending")
        or diag(join "\n", map { join ' | ', @$_ } @diff[0 .. ($#diff < 20 ? $#diff : 20)]);
}

# ---------------------------------------------------------------------------
# 1. Through the API: placed, paid, the kitchen, a courier, delivered, refused, cancelled
# ---------------------------------------------------------------------------
my ($pid) = psql_row("INSERT INTO products (slug, name, base_price, lead_time_hours) "
                     . "VALUES ('summary-$$', 'Summary Cake $$', 1299, 12) RETURNING id");
my ($vid) = psql_row("INSERT INTO variants (product_id, label, weight_grams, price, kitchen_units) "
                     . "VALUES ('$pid', '1 kg', 1000, '1299.00', 2) RETURNING id");
my ($d1, $d2) = (day(8), day(9));
my ($near_from, $near_to, $year_from) = (day(-10), day(19), day(-300));

sub place {
    my ($u, $date, $qty) = @_;
    my $a = req(POST => '/api/addresses', token => $u->{token}, json => {
        label => 'Home', street => '14 Church Street', city => 'Bengaluru', pincode => '560001',
        latitude => 12.9752, longitude => 77.6050 });
    is($a->{status}, 201, 'address saved') or diag $a->{content};
    my $c = req(POST => '/api/cart', token => $u->{token}, json => { variantId => $vid, quantity => $qty });
    is($c->{status}, 201, 'cart line added') or diag $c->{content};
    my ($slot) = grep { $_->{available} } @{ req(GET => "/api/delivery/slots?date=$date")->{json}{slots} || [] };
    ok($slot, "a slot is offered on $date") or return;
    my $o = req(POST => '/api/orders', token => $u->{token}, json => { addressId => $a->{json}{id}, deliverySlot => $slot->{start} });
    is($o->{status}, 201, 'order placed') or diag $o->{content};
    return $o->{json};
}

sub pay {
    my ($u, $order) = @_;
    my $p = req(POST => '/api/payments/create-order', token => $u->{token}, json => { orderId => $order->{id} });
    is($p->{status}, 200, 'razorpay order created') or diag $p->{content};
    my $chk = fake_post($ENV{FAKE_RAZORPAY_URL}, '/_fake/checkout', { order_id => $p->{json}{order_id}, status => 'captured' });
    my $v = req(POST => '/api/payments/verify', token => $u->{token}, json => $chk);
    is($v->{json}{status}, 'CONFIRMED', 'paid: CONFIRMED') or diag $v->{content};
}

sub staff {
    my ($order, $status) = @_;
    my $r = req(PATCH => "/api/admin/orders/$order->{id}/status", token => $admin, json => { status => $status });
    is($r->{status}, 200, "staff: $status") or diag $r->{content};
}

sub cake_qty { my ($j) = @_; my ($c) = grep { $_->{productId} eq $pid } @{ $j->{popularCakes} }; $c ? $c->{quantity} : 0 }
sub units { my ($j) = @_; my $n = 0; $n += $_->{bookedUnits} for @{ $j->{slotUtilisation} }; $n }
sub paise { my ($m) = @_; $m =~ s/\.//; $m + 0 }

my $before = same($d1, $d2, 'before');
same($near_from, $near_to, 'before, 30 days');
my ($ua, $ub, $uc) = map { register_user(name => "Summary $_") } 1 .. 3;
my $a = place($ua, $d1, 1);
my $b = place($ub, $d1, 2);
my $c = place($uc, $d2, 1);
my $j = same($d1, $d2, 'three orders placed');
is($j->{orderCount}, $before->{orderCount}, 'unpaid orders bring no revenue');
is(units($j) - units($before), 2 + 4 + 2, 'their kitchen units fill the slots');

pay($ua, $a);
pay($ub, $b);
$j = same($d1, $d2, 'two paid');
is($j->{orderCount} - $before->{orderCount}, 2, 'two paid orders');
is(paise($j->{totalRevenue}) - paise($before->{totalRevenue}), paise($a->{totalAmount}) + paise($b->{totalAmount}), 'their totals');
is(cake_qty($j), 3, 'the cake: 1 + 2');
same($near_from, $near_to, 'two paid, 30 days');

staff($a, 'BAKING');
staff($a, 'READY');
same($d1, $d2, 'in the kitchen');

my $r = req(POST => "/api/delivery/book/$a->{id}", token => $admin);
is($r->{status}, 200, 'courier booked') or diag $r->{content};
$j = same($d1, $d2, 'booked and dispatched');
is($j->{deliveryPerformance}{booked} - $before->{deliveryPerformance}{booked}, 1, 'one booking');
my ($bid) = psql_row("SELECT borzo_order_id FROM deliveries WHERE order_id = :'p1'", $a->{id});
($r) = borzo_callback(order_id => $bid + 0, delivery_status => 'finished');
is($r->{status}, 200, 'Borzo: finished');
$j = same($d1, $d2, 'delivered');
is($j->{deliveryPerformance}{delivered} - $before->{deliveryPerformance}{delivered}, 1, 'one delivered');
ok(defined $j->{deliveryPerformance}{averageMinutesToDeliver}, 'a delivery time');

fault(mode => 'unsuccessful', errors => ['invalid_parameters']);
$r = req(POST => "/api/delivery/book/$b->{id}", token => $admin);
is($r->{status}, 422, 'Borzo refuses the second booking');
$j = same($d1, $d2, 'a refused booking');
is($j->{failedBookings} - $before->{failedBookings}, 1, 'one failed booking');

$r = req(POST => "/api/orders/$c->{id}/cancel", token => $uc->{token});
is($r->{json}{status}, 'CANCELLED', 'the unpaid order cancelled by its customer') or diag $r->{content};
staff($b, 'CANCELLED');
$j = same($d1, $d2, 'two cancelled');
is($j->{orderCount} - $before->{orderCount}, 1, 'one paid order left');
is(paise($j->{totalRevenue}) - paise($before->{totalRevenue}), paise($a->{totalAmount}), 'its total');
is(cake_qty($j), 1, 'its cake');
is(units($j) - units($before), 2, 'the cancelled orders free their units');
same($near_from, $near_to, 'the API flows, 30 days');
same($year_from, $near_to, 'the API flows, 320 days');
same($d1, $d1, 'the API flows, one day');
tables_exact('after the API flows');

# ---------------------------------------------------------------------------
# 2. Random mixes of SQL writes over a year's end
# ---------------------------------------------------------------------------
my $seed = $ENV{MIX_SEED} // int(rand 1e6);
note("MIX_SEED=$seed");
srand($seed);
my ($user) = psql_row("INSERT INTO users (email, name, phone) VALUES (:'p1', 'Mix', '+919812345678') RETURNING id", uniq_email());
my @cakes;
for my $i (1 .. 4) {
    my ($p) = psql_row("INSERT INTO products (slug, name, base_price) VALUES (:'p1', :'p2', 800) RETURNING id", "mix-$$-$i", "Mix $i");
    my ($v) = psql_row("INSERT INTO variants (product_id, label, weight_grams, price) VALUES (:'p1', '1 kg', 1000, 800) RETURNING id", $p);
    my ($small) = psql_row("INSERT INTO variants (product_id, label, weight_grams, price) VALUES (:'p1', '500 g', 500, 450) RETURNING id", $p);
    push @cakes, [$p, $v, '1 kg'], [$p, $small, '500 g'];   # the cakes summary is kept per size (schema/0018)
}
my @STATUS = qw(PENDING CONFIRMED BAKING READY DISPATCHED DELIVERED CANCELLED);
my @DAYS = map { sprintf '2033-12-%02d', $_ } 28 .. 31;
push @DAYS, map { sprintf '2034-01-%02d', $_ } 1 .. 4;
my @TIMES = ('00:00:00', '09:30:00', '12:00:00', '12:00:30', '16:00:00', '23:59:59.999999');
my @BOOKING = qw(IN_PROGRESS BOOKED FAILED CANCELLED);
my $n = 0;
sub pick { $_[int rand @_] }
sub slot { "'" . pick(@DAYS) . ' ' . pick(@TIMES) . "+05:30'::timestamptz" }
my $ORDER = "(SELECT id FROM orders WHERE tracking_token LIKE 'mix-$$-%' ORDER BY random() LIMIT 1)";
my $ITEM = "(SELECT i.id FROM order_items i JOIN orders o ON o.id = i.order_id WHERE o.tracking_token LIKE 'mix-$$-%' "
         . "ORDER BY random() LIMIT 1)";
# a delivery time relative to the slot: NULL, early, within the slot, exactly its end, a microsecond late, days late
sub at {
    my ($base) = @_;
    return pick('NULL', "$base - interval '3 hours'", "$base + interval '17 minutes 30 seconds'",
                "$base + interval '120 minutes'", "$base + interval '120 minutes 0.000001 seconds'",
                "$base + interval '2 days 7 hours'", "$base + interval '" . int(rand 300) . " seconds'");
}
sub item_sql {
    my ($order) = @_;
    my ($p, $v, $label) = @{ pick(@cakes) };
    my ($q, $price) = (1 + int rand 5, pick('800.00', '1250.50', '99.99'));
    my $name = pick('Mix cake', 'Mix cake (renamed)', 'Another name');
    return "INSERT INTO order_items (order_id, product_id, variant_id, product_name, variant_label, weight_grams, "
         . "kitchen_units, unit_price, quantity, line_total) SELECT $order, '$p', '$v', '$name', '$label', 1000, 1, $price, $q, $price * $q";
}
sub new_order_sql {
    $n++;
    my $sub = sprintf '%.2f', 500 + rand 3000;
    my $disp = pick('NULL', 'delivery_slot - interval \'40 minutes\'', 'delivery_slot + interval \'1 hour\'');
    my @sql = ("INSERT INTO orders (user_id, address, status, subtotal, delivery_fee, total_amount, delivery_slot, slot_units, tracking_token) "
               . "VALUES ('$user', '{}', '" . pick(@STATUS) . "', $sub, 50.00, $sub + 50.00, " . slot() . ", "
               . (1 + int rand 4) . ", 'mix-$$-$n')",
               "UPDATE orders SET dispatched_at = $disp, delivered_at = " . at('delivery_slot') . " WHERE tracking_token = 'mix-$$-$n'");
    my $o = "(SELECT id FROM orders WHERE tracking_token = 'mix-$$-$n')";
    push @sql, item_sql($o) for 1 .. int rand 4;
    push @sql, "INSERT INTO deliveries (order_id, booking_state) SELECT $o, '" . pick(@BOOKING) . "'" if rand() < 0.5;
    return @sql;
}
# One change of a random kind (a few statements for the multi-statement kinds).
sub change_sql {
    my $k = rand 100;
    return new_order_sql() if $k < 14;
    return "UPDATE orders SET status = '" . pick(@STATUS) . "' WHERE id = $ORDER" if $k < 34;
    return "UPDATE orders SET delivery_slot = " . slot() . " WHERE id = $ORDER" if $k < 42;
    if ($k < 46) {
        my $sub = sprintf '%.2f', 100 + rand 5000;
        return "UPDATE orders SET subtotal = $sub, total_amount = $sub + delivery_fee, slot_units = " . (1 + int rand 6) . " WHERE id = $ORDER";
    }
    return "UPDATE orders SET dispatched_at = " . pick('NULL', "delivered_at - interval '" . int(rand 90) . " seconds'",
                                                        "delivery_slot - interval '1 hour'", "delivery_slot - interval '9 days'")
        . ", delivered_at = " . at('delivery_slot') . " WHERE id = $ORDER" if $k < 54;
    return item_sql($ORDER) if $k < 60;
    return "DELETE FROM order_items WHERE id = $ITEM" if $k < 64;
    if ($k < 70) {
        my $q = 1 + int rand 9;
        return pick("UPDATE order_items SET quantity = $q, line_total = unit_price * $q WHERE id = $ITEM",
                    "UPDATE order_items SET product_name = '" . pick('Mix cake', 'Zz last name', 'Aa first name') . "' WHERE id = $ITEM",
                    "UPDATE order_items SET order_id = $ORDER WHERE id = $ITEM",
                    "UPDATE order_items SET product_id = '$cakes[0][0]', variant_id = '$cakes[0][1]' WHERE id = $ITEM",
                    "UPDATE order_items SET variant_id = '$cakes[1][1]', variant_label = '$cakes[1][2]' WHERE id = $ITEM",
                    "UPDATE order_items SET variant_label = '" . pick('1 kg', '1 kg (round)') . "' WHERE id = $ITEM");
    }
    return "INSERT INTO deliveries (order_id, booking_state) VALUES ($ORDER, '" . pick(@BOOKING) . "') "
         . "ON CONFLICT (order_id) DO UPDATE SET booking_state = EXCLUDED.booking_state" if $k < 80;
    return "DELETE FROM deliveries WHERE order_id = $ORDER" if $k < 83;
    return ("SELECT id AS victim FROM orders WHERE tracking_token LIKE 'mix-$$-%' ORDER BY random() LIMIT 1 \\gset",
            'BEGIN', "DELETE FROM deliveries WHERE order_id = :'victim'", "DELETE FROM orders WHERE id = :'victim'", 'COMMIT') if $k < 86;
    return ("UPDATE orders SET status = 'CANCELLED' WHERE tracking_token LIKE 'mix-$$-%' AND delivery_slot < '"
            . pick(@DAYS) . "'::date AND status = '" . pick(@STATUS) . "'") if $k < 88;
    # a transaction of several changes, committed, rolled back, or with a savepoint rolled back
    my @tx = ('BEGIN', (map { scalar change_one() } 1 .. 2 + int rand 3));
    my $end = rand;
    return (@tx, 'ROLLBACK') if $end < 0.25;
    return (@tx, 'SAVEPOINT s', change_one(), change_one(), 'ROLLBACK TO SAVEPOINT s', change_one(), 'COMMIT') if $end < 0.5;
    return (@tx, 'COMMIT');
}
# One single-statement change (inside the transactions above).
sub change_one {
    while (1) {
        my @s = change_sql();
        return $s[0] if @s == 1;
    }
}

# Statements as a psql script (a meta-command such as \gset takes no semicolon).
sub script { join '', map { /\\gset$/ ? "$_\n" : "$_;\n" } @_ }

my @mix_ranges = (['2033-12-28', '2034-01-04', 'the mix'], ['2033-12-31', '2034-01-01', 'across the year\'s end'],
                  ['2034-01-01', '2034-01-01', 'one day'], ['2033-12-05', '2034-01-03', 'a month'],
                  ['2033-06-01', '2034-05-31', 'a year'], ['2034-03-01', '2034-03-05', 'an empty range']);
for my $round (1 .. 4) {
    my @sql = ("SELECT setseed(" . ($seed % 1000) / 1000 . ")");
    push @sql, new_order_sql() for 1 .. ($round == 1 ? 40 : 5);
    push @sql, change_sql() for 1 .. 120;
    psql(script(@sql));
    same(@$_[0, 1], "mix $round: $_->[2]") for @mix_ranges;
    tables_exact("mix $round");
}
my ($mixed) = psql_row("SELECT count(DISTINCT status) || ' statuses, ' || count(*) FILTER (WHERE delivered_at IS NOT NULL) || ' with a delivery time' "
                       . "FROM orders WHERE tracking_token LIKE 'mix-$$-%'");
note("the mix left $mixed");

# The average delivery time is divided at the greatest numeric scale of the minutes it
# sums: 80, 80 and 83 s (scale 16) average "1.4" at scale 16 and 1.3 at scale 20 (the
# scale of a delivery under a minute). Once the 30 s delivery is cancelled, the day's
# summary still holds a row of scale 20, emptied: it must not count.
my $scale_day = "'2034-04-10 12:00+05:30'::timestamptz";
my @secs = (80, 80, 83, 30);
psql(script(map {
    "INSERT INTO orders (user_id, address, status, subtotal, delivery_fee, total_amount, delivery_slot, slot_units, "
  . "tracking_token, dispatched_at, delivered_at) VALUES ('$user', '{}', 'DELIVERED', 1000, 50, 1050, $scale_day, 1, "
  . "'scale-$$-$_', $scale_day, $scale_day + interval '$secs[$_] seconds')" } 0 .. 3));
same('2034-04-10', '2034-04-10', 'four delivery times, one under a minute');
psql("UPDATE orders SET status = 'CANCELLED' WHERE tracking_token = 'scale-$$-3'");
same('2034-04-10', '2034-04-10', 'the one under a minute cancelled');
like(req(GET => '/api/admin/analytics?from=2034-04-10&to=2034-04-10', token => $admin)->{content},
     qr/"averageMinutesToDeliver":1\.4[,}]/, 'averaged at the scale of the deliveries left: 1.4');
tables_exact('the minutes\' scale');

# ---------------------------------------------------------------------------
# 3. Concurrent writers of one day and slot
# ---------------------------------------------------------------------------
my $slot = "'2034-02-10 12:00+05:30'::timestamptz";
psql("INSERT INTO delivery_slots (slot_start, capacity_units) VALUES ($slot, 10000) ON CONFLICT DO NOTHING");
psql(join ";\n", map {
    "INSERT INTO orders (user_id, address, status, subtotal, delivery_fee, total_amount, delivery_slot, slot_units, tracking_token) "
  . "VALUES ('$user', '{}', 'CONFIRMED', 1000, 50, 1050, $slot, 1, 'conc-$$-seed-$_')" } 1 .. 10);
my $CONC = "(SELECT id FROM orders WHERE tracking_token LIKE 'conc-$$-%' ORDER BY random() LIMIT 1)";
my @pids;
for my $w (1 .. 4) {
    my @sql;
    for my $i (1 .. 60) {
        my $k = rand;
        my $tok = "conc-$$-$w-$i";
        if ($k < 0.3) {    # a placement: the slot's row first, then the order and its line
            push @sql, 'BEGIN', "UPDATE delivery_slots SET booked_units = booked_units + 1 WHERE slot_start = $slot",
                "INSERT INTO orders (user_id, address, status, subtotal, delivery_fee, total_amount, delivery_slot, slot_units, tracking_token) "
                . "VALUES ('$user', '{}', 'PENDING', 1000, 50, 1050, $slot, 1, '$tok')",
                item_sql("(SELECT id FROM orders WHERE tracking_token = '$tok')"), 'COMMIT';
        } elsif ($k < 0.55) {    # a cancellation: the order, then the slot's row
            push @sql, 'BEGIN', "UPDATE orders SET status = 'CANCELLED' WHERE id = $CONC",
                "UPDATE delivery_slots SET booked_units = greatest(0, booked_units - 1) WHERE slot_start = $slot", 'COMMIT';
        } elsif ($k < 0.85) {
            push @sql, "UPDATE orders SET status = '" . pick(qw(CONFIRMED BAKING DELIVERED PENDING)) . "', "
                . "delivered_at = delivery_slot + interval '" . int(rand 200) . " minutes', dispatched_at = delivery_slot WHERE id = $CONC";
        } else {
            push @sql, pick("INSERT INTO deliveries (order_id, booking_state) VALUES ($CONC, '" . pick(@BOOKING) . "') "
                            . "ON CONFLICT (order_id) DO UPDATE SET booking_state = EXCLUDED.booking_state", item_sql($CONC));
        }
    }
    my $file = "$ENV{STACK_DIR}/conc-$$-$w.sql";
    open my $fh, '>', $file or die "$file: $!";
    print $fh script(@sql);
    close $fh;
    local $ENV{PGPASSWORD} = $ENV{DB_PASSWORD};
    my $pid = open3(my $in, '>&STDERR', my $err = gensym, 'psql', '-X', '-q', '-o', '/dev/null', '-v', 'ON_ERROR_STOP=1',
                    '-h', $ENV{DB_HOST}, '-p', $ENV{DB_PORT}, '-U', $ENV{DB_USERNAME}, '-d', $ENV{DB_NAME}, '-f', $file);
    close $in;
    push @pids, [$pid, $err, $w];
}
for (@pids) {
    my ($pid, $err, $w) = @$_;
    my @errs = <$err>;
    waitpid($pid, 0);
    is($? >> 8, 0, "concurrent writer $w: every transaction committed") or diag(@errs);
    is(scalar(grep { /ERROR/ } @errs), 0, "concurrent writer $w: no error (no deadlock)") or diag(@errs);
}
same('2034-02-10', '2034-02-10', 'concurrent writers');
tables_exact('concurrent writers');

done_testing;
