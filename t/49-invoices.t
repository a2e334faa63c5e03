#!/usr/bin/perl
# 49-invoices.t: GST tax invoices and credit notes. A paid order gets its invoice in the
# payment's transaction (the customer API, the tracking link in the confirmation email and
# the admin page show it); the numbers have no gap and no duplicate under 20 parallel
# payments, and a rolled-back payment takes none; a refund gets a credit note against the
# invoice; every line and every document adds up to the paisa; CGST + SGST in the shop's
# state, IGST to another. script/test sets STORE_GSTIN (and GST_RATE_PERCENT=5).
use strict;
use warnings;
use Test::More;
use POSIX qw(strftime);
use Time::HiRes qw(time sleep);
use HTTP::Tiny;
use JSON::PP;
use LaFete::Test;
use LaFete::Admin qw(admin_session page);
use FakeRazorpay qw(sign_webhook webhook_body event_id);

my $FAKE = $ENV{FAKE_RAZORPAY_URL} or plan skip_all => 'run through script/test';
$ENV{STORE_GSTIN} or plan skip_all => 'STORE_GSTIN is not set: no invoices';
my $GSTIN = $ENV{STORE_GSTIN};
my $IST = 5 * 3600 + 1800;
my ($year, $month) = split /-/, strftime('%Y-%m', gmtime(time + $IST));
my $fy_start = $month >= 4 ? $year : $year - 1;
my $FY = sprintf '%04d-%02d', $fy_start, ($fy_start + 1) % 100;
my $FY_SHORT = sprintf '%02d-%02d', $fy_start % 100, ($fy_start + 1) % 100;

sub db { psql(@_) }	# :'p1'... bound by psql
sub db_row { my @r = db(@_); return $r[0] ? @{ $r[0] } : () }
sub paise { my ($s) = @_; return undef unless defined $s && $s =~ /^(\d+)\.(\d\d)$/; return $1 * 100 + $2 }
sub rupees { my ($p) = @_; sprintf '%d.%02d', int($p / 100), $p % 100 }
sub counter { (db_row("SELECT last_number FROM document_counters WHERE series = :'p1' AND financial_year = :'p2'", $_[0], $FY))[0] // 0 }

# ---- a catalog and orders ----
my ($pid) = db_row("INSERT INTO products (slug, name, base_price, lead_time_hours) VALUES ('invoice-$$', 'Belgian Truffle', 999, 12) RETURNING id");
my ($v1) = db_row("INSERT INTO variants (product_id, label, weight_grams, price, kitchen_units) VALUES (:'p1', '1 kg', 1000, '1299.00', 2) RETURNING id", $pid);
my ($v2) = db_row("INSERT INTO variants (product_id, label, weight_grams, price, kitchen_units) VALUES (:'p1', '500 g', 500, '749.50', 1) RETURNING id", $pid);

# An order written straight into the database with two item lines (2 x 1299.00 + 1 x 749.50),
# in a slot `hours` ahead; address options: state => a GST state code. Returns {id, number, token}.
sub sql_order {
    my ($u, %o) = @_;
    my $fee = $o{fee} // '61.50';
    my $addr = JSON::PP->new->canonical->encode({ street => $o{street} // '14 Church Street', city => 'Bengaluru',
        pincode => '560001', contactName => $o{contact} // 'Meera Iyer', defined $o{state} ? (stateCode => $o{state}) : () });
    my ($slot) = db_row("SELECT (date_trunc('hour', now()) + make_interval(hours => :'p1'::int))::text", $o{hours} // 72);
    db("INSERT INTO delivery_slots (slot_start, capacity_units, booked_units) VALUES (:'p1', 1000, 5) "
       . "ON CONFLICT (slot_start) DO UPDATE SET booked_units = delivery_slots.booked_units + 5", $slot);
    my ($id, $number, $token) = db_row(
        "INSERT INTO orders (user_id, address, subtotal, delivery_fee, total_amount, delivery_slot, slot_units, tracking_token) "
        . "VALUES (:'p1', :'p2'::jsonb, 3347.50, :'p3'::numeric, 3347.50 + :'p3'::numeric, :'p4', 5, "
        . "'inv' || md5(random()::text)) RETURNING id, order_number, tracking_token",
        $u->{user}{id}, $addr, $fee, $slot);
    db("INSERT INTO order_items (order_id, product_id, variant_id, product_name, variant_label, weight_grams, kitchen_units, "
       . "unit_price, quantity, line_total) VALUES (:'p1', :'p2', :'p3', 'Belgian Truffle', '1 kg', 1000, 2, 1299.00, 2, 2598.00), "
       . "(:'p1', :'p2', :'p4', 'Belgian Truffle', '500 g', 500, 1, 749.50, 1, 749.50)", $id, $pid, $v1, $v2);
    return { id => $id, number => $number, token => $token, total => 334750 + paise($fee) };
}

# The Razorpay order and the signed checkout of an order (paid at Razorpay, not yet verified).
sub checkout {
    my ($u, $o) = @_;
    my $c = req(POST => '/api/payments/create-order', token => $u->{token}, json => { orderId => $o->{id} });
    die "create-order: $c->{content}" unless $c->{status} == 200;
    return fake_post($FAKE, '/_fake/checkout', { order_id => $c->{json}{order_id}, status => 'captured' });
}
sub verify { my ($u, $pay) = @_; req(POST => '/api/payments/verify', token => $u->{token}, json => $pay) }
sub pay { my ($u, $o) = @_; my $v = verify($u, checkout($u, $o)); die "verify: $v->{content}" unless $v->{status} == 200; $v }
sub invoice_json {
    my ($u, $o, $path) = @_;
    return req(GET => "/api/orders/$o->{id}/" . ($path // 'invoice'), token => $u->{token}, headers => { Accept => 'application/json' });
}

# Every line and the document add up: taxable + taxes = total, to the paisa; the heads fit the state.
sub adds_up {
    my ($doc, $what) = @_;
    my %sum;
    my $ok = 1;
    for my $l (@{ $doc->{lines} }) {
        my ($t, $c, $s, $i, $tot) = map { paise($l->{$_}) } qw(taxable cgst sgst igst total);
        $ok &&= defined $tot && $t + $c + $s + $i == $tot;
        $ok &&= $doc->{interState} ? ($c == 0 && $s == 0) : ($i == 0 && $c == $s);
        $sum{$_} += paise($l->{$_}) for qw(taxable cgst sgst igst total);
    }
    $ok &&= $sum{$_} == paise($doc->{totals}{$_}) for qw(taxable cgst sgst igst total);
    my $tt = $doc->{totals};
    $ok &&= paise($tt->{taxable}) + paise($tt->{cgst}) + paise($tt->{sgst}) + paise($tt->{igst}) == paise($tt->{total});
    ok($ok, "$what: every line and the totals add up to the paisa") or diag explain $doc;
}

# =========== the whole journey through the API: an invoice with the order's items and delivery
my $meera = register_user(name => 'Meera Iyer');
my $addr = req(POST => '/api/addresses', token => $meera->{token}, json => {
    label => 'Home', street => '14 Church Street', city => 'Bengaluru', pincode => '560001', latitude => 12.9752, longitude => 77.6050 });
is($addr->{status}, 201, 'address saved') or diag $addr->{content};
req(POST => '/api/cart', token => $meera->{token}, json => { variantId => $v1, quantity => 2 });
req(POST => '/api/cart', token => $meera->{token}, json => { variantId => $v2, quantity => 1 });
my $day = strftime('%Y-%m-%d', gmtime(time + $IST + 5 * 86400));
my ($slot) = grep { $_->{available} } @{ req(GET => "/api/delivery/slots?date=$day")->{json}{slots} };
my $placed = req(POST => '/api/orders', token => $meera->{token}, json => { addressId => $addr->{json}{id}, deliverySlot => $slot->{start} });
is($placed->{status}, 201, 'order placed') or diag $placed->{content};
my $order = $placed->{json};
my $o1 = { id => $order->{id}, number => $order->{orderNumber}, total => paise($order->{totalAmount}) };
($o1->{token}) = $order->{trackingUrl} =~ m{/track/([^/]+)$};

my $r = invoice_json($meera, $o1);
is($r->{status}, 404, 'unpaid: no invoice (404)');
is($r->{json}{error}{code}, 'INVOICE_NOT_FOUND', 'INVOICE_NOT_FOUND');
$r = req(GET => "/track/$o1->{token}/invoice");
is($r->{status}, 404, 'unpaid: the tracking link has no invoice either');
like($r->{content}, qr/No invoice yet/, 'and says so');

my $before = counter('LF');
pay($meera, $o1);
my ($number, $seq, $fy, $total) = db_row("SELECT number, seq, financial_year, total::text FROM invoices WHERE order_id = :'p1' AND kind = 'INVOICE'", $o1->{id});
ok($number, 'the payment issued an invoice');
is($fy, $FY, "in the financial year of today in Kolkata ($FY)");
like($number, qr{^LF/\Q$FY_SHORT\E/\d{6}$}, "numbered LF/$FY_SHORT/NNNNNN: $number");
cmp_ok(length $number, '<=', 16, 'at most 16 characters');
is($seq, $before + 1, 'the next number of the series');
is(paise($total), $o1->{total}, 'for the amount paid');

$r = invoice_json($meera, $o1);
is($r->{status}, 200, 'GET /api/orders/{id}/invoice (Accept: application/json)') or diag $r->{content};
my $inv = $r->{json};
is($inv->{number}, $number, 'the number');
is($inv->{kind}, 'INVOICE', 'a tax invoice');
is($inv->{seller}{gstin}, $GSTIN, "the shop's GSTIN");
{
    my ($day) = db_row("SELECT to_char(issued_at AT TIME ZONE 'Asia/Kolkata', 'FMDD Mon YYYY') FROM invoices WHERE number = :'p1'", $number);
    is($inv->{issuedOn}, $day, "dated for people, the IST day of issue: $day");
}
is($inv->{seller}{legalName}, $ENV{STORE_LEGAL_NAME}, 'its legal name');
is($inv->{buyer}{name}, 'Meera Iyer', "the buyer from the order's address");
like($inv->{buyer}{address}, qr/14 Church Street, Bengaluru 560001/, 'and the delivery address');
is_deeply($inv->{placeOfSupply}, { code => '29', name => 'Karnataka' }, 'place of supply: the shop\'s state');
ok(!$inv->{interState}, 'within the state: CGST + SGST');
is(scalar @{ $inv->{lines} }, 3, 'two cake lines and the delivery');
my ($del) = grep { $_->{kind} eq 'DELIVERY' } @{ $inv->{lines} };
is($del->{total}, $order->{deliveryFee}, 'the delivery line is the fee');
is($del->{hsn}, '1905', 'taxed as the cake it delivers (a composite supply)');
my ($big) = grep { $_->{description} eq 'Belgian Truffle (1 kg)' } @{ $inv->{lines} };
is_deeply([@$big{qw(quantity unitPrice total hsn rate cgstRate sgstRate)}], [2, '1299.00', '2598.00', '1905', '5', '2.5', '2.5'],
          'a cake line: quantity, tax-inclusive price, HSN, 5 % = 2.5 % CGST + 2.5 % SGST');
is($inv->{totals}{total}, $order->{totalAmount}, 'the total is what was paid');
adds_up($inv, 'the invoice');

$r = req(GET => "/api/orders/$o1->{id}/invoice", token => $meera->{token});
is($r->{status}, 200, 'the same as a printable page by default');
like($r->{headers}{'content-type'}, qr{^text/html}, 'HTML');
like($r->{content}, qr/Tax invoice/, 'titled Tax invoice');
like($r->{content}, qr/\Q$number\E/, 'with its number');
like($r->{content}, qr/\Q$GSTIN\E/, 'and the GSTIN');
like($r->{content}, qr{<link rel="stylesheet" href="/static/invoice.css">}, 'with the print stylesheet');
is(req(GET => '/static/invoice.css')->{status}, 200, 'which nginx serves');
like($r->{headers}{'cache-control'} // '', qr/no-store/, 'not kept by caches');

# ---- who may read it
my $bob = register_user();
$r = invoice_json($bob, $o1);
is($r->{status}, 404, "someone else's order: 404");
is($r->{json}{error}{code}, 'ORDER_NOT_FOUND', 'as if it did not exist');
is(req(GET => "/api/orders/$o1->{id}/invoice")->{status}, 401, 'no token: 401');
is(invoice_json($meera, { id => '6f1c1b2a-0000-4000-8000-000000000000' })->{status}, 404, 'an unknown order: 404');
is(invoice_json($meera, { id => 'not-a-uuid' })->{status}, 404, 'a malformed id: 404');

# ---- the confirmation email links to it by the tracking token
my ($body) = db_row("SELECT replace(body, E'\\n', ' ') FROM emails WHERE order_id = :'p1' AND kind = 'confirmed'", $o1->{id});
like($body // '', qr{\Q$ENV{PUBLIC_URL}\E/track/\Q$o1->{token}\E/invoice}, 'the confirmation email links to the invoice');
$r = req(GET => "/track/$o1->{token}/invoice");
is($r->{status}, 200, 'the link opens it, no sign-in') or diag $r->{content};
like($r->{content}, qr/\Q$number\E/, 'the same invoice');
like($r->{content}, qr/Meera Iyer/, 'for the buyer');
like($r->{headers}{'referrer-policy'} // '', qr/no-referrer/, 'under /track/: no referrer leaks the token');
like(req(GET => "/track/$o1->{token}")->{content}, qr{href="/track/\Q$o1->{token}\E/invoice"}, 'the tracking page links to it');
is(req(GET => '/track/no-such-token-123456/invoice')->{status}, 404, 'an unknown token: 404');

# ---- the admin order page
my $admin = admin_session();
$r = page("/admin/orders/$o1->{id}", $admin);
like($r->{content}, qr{href="/admin/orders/\Q$o1->{id}\E/invoice">Tax invoice \Q$number\E}, 'the admin order page links to the invoice');
$r = page("/admin/orders/$o1->{id}/invoice", $admin);
is($r->{status}, 200, 'the admin opens it');
like($r->{content}, qr/\Q$number\E/, 'the same invoice');
$r = req(GET => "/admin/orders/$o1->{id}/invoice");
like($r->{status}, qr/^30[23]$/, 'signed out: to the login page');
is(page("/admin/orders/6f1c1b2a-0000-4000-8000-000000000000/invoice", $admin)->{status}, 404, 'admin: unknown order 404');

# ---- once per order, frozen
my ($rzo, $rzp) = db_row("SELECT razorpay_order_id, razorpay_payment_id FROM payments WHERE order_id = :'p1'", $o1->{id});
my $hook = webhook_body(event => 'payment.captured', payment => { id => $rzp, entity => 'payment', amount => $o1->{total},
    currency => 'INR', status => 'captured', order_id => $rzo, method => 'upi', captured => JSON::PP::true, notes => [] });
is(req(POST => '/api/payments/webhook', raw => $hook, headers => { 'Content-Type' => 'application/json',
    'X-Razorpay-Event-Id' => event_id(), 'X-Razorpay-Signature' => sign_webhook($hook, $ENV{RAZORPAY_WEBHOOK_SECRET}) })->{status},
   200, "Razorpay's webhook for the same payment");
is((db_row("SELECT count(*) FROM invoices WHERE order_id = :'p1'", $o1->{id}))[0], 1, 'still one invoice');
is(counter('LF'), $before + 1, 'and no number spent');
ok(!eval { db("UPDATE invoices SET total = 1 WHERE order_id = :'p1'", $o1->{id}); 1 }, 'an invoice cannot be changed');
ok(!eval { db("DELETE FROM invoice_lines WHERE invoice_id = (SELECT id FROM invoices WHERE order_id = :'p1')", $o1->{id}); 1 },
   'nor its lines deleted');

# =========== another state: IGST
my $ravi = register_user(name => 'Ravi Shah');
my $o2 = sql_order($ravi, state => '27', contact => 'Ravi Shah');
pay($ravi, $o2);
$r = invoice_json($ravi, $o2);
is($r->{status}, 200, 'an invoice for an address in Maharashtra');
is_deeply($r->{json}{placeOfSupply}, { code => '27', name => 'Maharashtra' }, 'place of supply: the address\'s state');
ok($r->{json}{interState}, 'between states');
ok(!grep({ $_->{cgst} ne '0.00' || $_->{sgst} ne '0.00' || $_->{igstRate} ne '5' } @{ $r->{json}{lines} }), 'IGST at 5 %, no CGST or SGST');
adds_up($r->{json}, 'the IGST invoice');
like(req(GET => "/api/orders/$o2->{id}/invoice", token => $ravi->{token})->{content}, qr/IGST/, 'the page shows IGST');

# =========== credit notes
# an admin refund (in full): one credit note for the whole invoice
my $asha = register_user(name => 'Asha Rao');
my $o3 = sql_order($asha);
pay($asha, $o3);
my $cn_before = counter('CN');
$r = req(POST => "/api/admin/orders/$o3->{id}/refund", token => admin_token());
is($r->{json}{refund}{status}, 'PROCESSED', 'refunded in full') or diag $r->{content};
my @cn = db("SELECT number, seq, total::text, invoice_id = (SELECT id FROM invoices WHERE order_id = :'p1' AND kind = 'INVOICE') "
            . "FROM invoices WHERE order_id = :'p1' AND kind = 'CREDIT_NOTE'", $o3->{id});
is(scalar @cn, 1, 'the refund issued a credit note');
like($cn[0][0], qr{^CN/\Q$FY_SHORT\E/\d{6}$}, "from its own series: $cn[0][0]");
is($cn[0][1], $cn_before + 1, 'the next credit note number');
is($cn[0][3], 't', 'against the order\'s invoice');
my $inv3 = invoice_json($asha, $o3)->{json};
$r = invoice_json($asha, $o3, 'credit-notes/1');
is($r->{status}, 200, 'GET /api/orders/{id}/credit-notes/1') or diag $r->{content};
my $cn1 = $r->{json};
is($cn1->{kind}, 'CREDIT_NOTE', 'a credit note');
is($cn1->{invoice}{number}, $inv3->{number}, 'naming the invoice it credits');
is_deeply($cn1->{totals}, $inv3->{totals}, 'a full refund credits exactly the invoice\'s value and taxes');
is_deeply([map { [@$_{qw(position taxable cgst sgst total quantity)}] } @{ $cn1->{lines} }],
          [map { [@$_{qw(position taxable cgst sgst total quantity)}] } @{ $inv3->{lines} }], 'line by line');
adds_up($cn1, 'the credit note');
$r = req(GET => "/track/$o3->{token}/credit-notes/1");
is($r->{status}, 200, 'the credit note by the tracking link');
like($r->{content}, qr/Credit note/, 'titled Credit note');
like($r->{content}, qr/\Q$inv3->{number}\E/, 'it references the invoice');
like($r->{content}, qr{<dd>\Q$inv3->{number}\E of \d{1,2} [A-Z][a-z]{2} \d{4}</dd>}, "and the invoice's date, for people");
like(req(GET => "/track/$o3->{token}")->{content}, qr{href="/track/\Q$o3->{token}\E/credit-notes/1"}, 'the tracking page links to it');
like(page("/admin/orders/$o3->{id}", $admin)->{content}, qr{href="/admin/orders/\Q$o3->{id}\E/credit-notes/1">Credit note \Q$cn[0][0]\E},
     'the admin order page too');
is(page("/admin/orders/$o3->{id}/credit-notes/1", $admin)->{status}, 200, 'the admin opens it');
$r = invoice_json($asha, $o3, 'credit-notes/2');
is($r->{status}, 404, 'no second credit note: 404');
is($r->{json}{error}{code}, 'CREDIT_NOTE_NOT_FOUND', 'CREDIT_NOTE_NOT_FOUND');
is(invoice_json($asha, $o3, 'credit-notes/x')->{status}, 404, 'a malformed number: 404');
is(invoice_json($bob, $o3, 'credit-notes/1')->{json}{error}{code}, 'ORDER_NOT_FOUND', "not someone else's");
is(req(GET => "/track/$o3->{token}/credit-notes/0")->{status}, 404, 'credit note 0: 404');
is(req(POST => "/api/admin/orders/$o3->{id}/refund", token => admin_token())->{status}, 200, 'a repeated refund call');
is((db_row("SELECT count(*) FROM invoices WHERE order_id = :'p1' AND kind = 'CREDIT_NOTE'", $o3->{id}))[0], 1, 'still one credit note');

# a customer's cancellation 12 h ahead refunds half the cakes and the whole delivery; the admin then refunds the rest
my $kavya = register_user(name => 'Kavya N');
my $o4 = sql_order($kavya, hours => 12, fee => '80.25');
pay($kavya, $o4);
$r = req(POST => "/api/orders/$o4->{id}/cancel", token => $kavya->{token});
is($r->{status}, 200, 'the customer cancels 12 h before the slot') or diag $r->{content};
my ($refunded) = db_row("SELECT amount::text FROM refunds WHERE order_id = :'p1'", $o4->{id});
is(paise($refunded), int((334750 + 1) / 2) + 8025, 'half the cakes and the delivery are refunded');
$r = invoice_json($kavya, $o4, 'credit-notes/1');
is($r->{status}, 200, 'a credit note for it') or diag $r->{content};
my $half = $r->{json};
is(paise($half->{totals}{total}), paise($refunded), 'for the refunded amount');
my ($hd) = grep { $_->{kind} eq 'DELIVERY' } @{ $half->{lines} };
is($hd->{total}, '80.25', 'the delivery credited whole');
is((eval { my $s = 0; $s += paise($_->{total}) for grep { $_->{kind} eq 'GOODS' } @{ $half->{lines} }; $s }), int((334750 + 1) / 2),
   'the cakes credited for half their value');
ok(!grep({ $_->{kind} eq 'GOODS' && defined $_->{quantity} } @{ $half->{lines} }), 'a part of a line shows no quantity');
adds_up($half, 'the partial credit note');
$r = req(POST => "/api/admin/orders/$o4->{id}/refund", token => admin_token());
is($r->{json}{refund}{amount}, rupees(334750 + 8025 - paise($refunded)), 'the admin refunds the rest') or diag $r->{content};
$r = invoice_json($kavya, $o4, 'credit-notes/2');
is($r->{status}, 200, 'a second credit note');
my $rest = $r->{json};
adds_up($rest, 'the second credit note');
my $inv4 = invoice_json($kavya, $o4)->{json};
my %credited;
for my $l (@{ $half->{lines} }, @{ $rest->{lines} }) { $credited{$l->{position}}{$_} += paise($l->{$_}) for qw(taxable cgst sgst total) }
is_deeply({ map { my $l = $_; ($l->{position} => { map { ($_ => paise($l->{$_})) } qw(taxable cgst sgst total) }) } @{ $inv4->{lines} } },
          \%credited, 'together the two credit notes give back each invoice line exactly, taxes included');
my @nums = map { $_->[0] } db("SELECT seq FROM invoices WHERE order_id = :'p1' AND kind = 'CREDIT_NOTE' ORDER BY seq", $o4->{id});
is($nums[1], $nums[0] + 1, 'consecutive credit note numbers');

# Razorpay down: no credit note until it takes the refund
my $o5 = sql_order($asha);
pay($asha, $o5);
fake_post($FAKE, '/_fake/fault', { match => '^POST /v1/payments/.*/refund$', mode => 'status', status => 503, count => 1 });
$r = req(POST => "/api/admin/orders/$o5->{id}/refund", token => admin_token());
is($r->{json}{refund}{status}, 'PENDING', 'Razorpay down: the refund waits');
is((db_row("SELECT count(*) FROM invoices WHERE order_id = :'p1' AND kind = 'CREDIT_NOTE'", $o5->{id}))[0], 0, 'and no credit note yet');
$r = req(POST => "/api/admin/orders/$o5->{id}/refund", token => admin_token());
is($r->{json}{refund}{status}, 'PROCESSED', 'the retry goes through');
is((db_row("SELECT count(*) FROM invoices WHERE order_id = :'p1' AND kind = 'CREDIT_NOTE'", $o5->{id}))[0], 1, 'with its credit note');

# =========== numbering
# a payment rolled back after taking its number gives it back
my $burn = register_user(name => 'Burn Test');
my $o6 = sql_order($burn, contact => 'Burn Test');
my $pay6 = checkout($burn, $o6);
db("CREATE FUNCTION t49_burn() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN "
   . "IF NEW.buyer_name = 'Burn Test' THEN RAISE EXCEPTION 'test: fail after the number'; END IF; RETURN NEW; END \$\$; "
   . "CREATE TRIGGER t49_burn BEFORE INSERT ON invoices FOR EACH ROW EXECUTE FUNCTION t49_burn()");
my $n_before = counter('LF');
$r = verify($burn, $pay6);
is($r->{status}, 500, 'a confirmation that fails after taking its number fails whole');
is(counter('LF'), $n_before, 'the number is given back (the counter did not move)');
is((db_row("SELECT o.status, p.status FROM orders o JOIN payments p ON p.order_id = o.id WHERE o.id = :'p1'", $o6->{id}))[0],
   'PENDING', 'the order is not confirmed');
db("DROP TRIGGER t49_burn ON invoices; DROP FUNCTION t49_burn()");
is(verify($burn, $pay6)->{status}, 200, 'the retry confirms');
is((db_row("SELECT seq FROM invoices WHERE order_id = :'p1'", $o6->{id}))[0], $n_before + 1, 'with the very next number: no gap');

# verify in a child process, on a connection of its own: 0 when it answered 200
sub child_verify {
    my ($u, $pay) = @_;
    my $res = HTTP::Tiny->new(verify_SSL => 0, timeout => 60)->post(base_url() . '/api/payments/verify', {
        headers => { 'Content-Type' => 'application/json', Authorization => "Bearer $u->{token}" },
        content => JSON::PP->new->encode($pay) });
    return $res->{status} == 200 ? 0 : 1;
}

# 20 payments at once: 20 consecutive numbers, no gap, no duplicate
my $crowd = register_user(name => 'Crowd');
my @orders = map { sql_order($crowd) } 1 .. 20;
my @pays = map { checkout($crowd, $_) } @orders;
my $start = counter('LF');
my $go = time + 1;
my @kids;
for my $i (0 .. $#orders) {
    my $pid = fork() // die "fork: $!";
    if (!$pid) {
        sleep(0.005) while time < $go;
        POSIX::_exit(child_verify($crowd, $pays[$i]));
    }
    push @kids, $pid;
}
my $fails = 0;
for (@kids) { waitpid($_, 0); $fails++ if $? }
is($fails, 0, '20 parallel verifies all answered 200');
my @seqs = sort { $a <=> $b } map { (db_row("SELECT seq FROM invoices WHERE order_id = :'p1' AND kind = 'INVOICE'", $_->{id}))[0] // 0 } @orders;
is_deeply(\@seqs, [$start + 1 .. $start + 20], '20 invoices numbered consecutively, no gap, no duplicate');
is(counter('LF'), $start + 20, 'the counter moved by 20');

# payments wait for a number another transaction holds, then take the next ones
my @held = map { sql_order($crowd) } 1 .. 4;
my @hpays = map { checkout($crowd, $_) } @held;
$start = counter('LF');
my $holder = fork() // die "fork: $!";
if (!$holder) {
    psql("BEGIN; SELECT last_number FROM document_counters WHERE series = 'LF' AND financial_year = :'p1' FOR UPDATE; "
         . "SELECT pg_sleep(2); COMMIT", $FY);
    POSIX::_exit(0);
}
sleep 0.5;
my $t0 = time;
@kids = ();
for my $i (0 .. $#held) {
    my $pid = fork() // die "fork: $!";
    if (!$pid) { POSIX::_exit(child_verify($crowd, $hpays[$i])) }
    push @kids, $pid;
}
$fails = 0;
for (@kids) { waitpid($_, 0); $fails++ if $? }
waitpid($holder, 0);
is($fails, 0, 'payments behind a held counter all confirm');
cmp_ok(time - $t0, '>=', 1, 'after waiting for the lock, not around it');
@seqs = sort { $a <=> $b } map { (db_row("SELECT seq FROM invoices WHERE order_id = :'p1'", $_->{id}))[0] // 0 } @held;
is_deeply(\@seqs, [$start + 1 .. $start + 4], 'and take the next numbers in turn');

# the whole series, over every test that paid an order: 1..N, each once
for my $series (qw(LF CN)) {
    my ($n, $min, $max, $distinct) = db_row("SELECT count(*), min(seq), max(seq), count(DISTINCT seq) FROM invoices "
                                            . "WHERE series = :'p1' AND financial_year = :'p2'", $series, $FY);
    is_deeply([$n, $min, $max, $distinct], [$n, 1, $n, $n], "$series $FY: numbers 1 to $n, each once, no gap");
    is(counter($series), $n, "$series: the counter is at the last number");
}

done_testing;
