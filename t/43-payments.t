#!/usr/bin/perl
# 43-payments.t: POST /api/payments/create-order and /verify against the fake Razorpay.
use strict;
use warnings;
use Test::More;
use MIME::Base64 qw(encode_base64);
use LaFete::Test;
use FakeRazorpay qw(checkout_signature);

my $FAKE = $ENV{FAKE_RAZORPAY_URL} or plan skip_all => 'run through script/test';

sub db { psql(@_) }	# :'p1'... bound by psql
sub db_row { my @r = db(@_); return $r[0] ? @{ $r[0] } : () }

# An order straight in the database (POST /api/orders is built elsewhere): [id, number].
sub make_order {
    my ($user_id, %o) = @_;
    my ($id, $number) = db_row(
        "INSERT INTO orders (user_id, address, subtotal, delivery_fee, total_amount, delivery_slot, slot_units, tracking_token, status) "
        . "VALUES (:'p1', '{\"street\":\"1 MG Road\",\"city\":\"Bengaluru\",\"pincode\":\"560001\"}', :'p2', :'p3', "
        . ":'p2'::numeric + :'p3'::numeric, now() + interval '3 days', 2, md5(random()::text), :'p4') RETURNING id, order_number",
        $user_id, $o{subtotal} // '1249.50', $o{fee} // '49.25', $o{status} // 'PENDING');
    return ($id, $number);
}
sub rzp_requests { @{ fake_get($FAKE, '/_fake/requests') || [] } }
sub history { db("SELECT from_status, to_status, actor FROM order_status_history WHERE order_id = :'p1' ORDER BY id", $_[0]) }

my $alice = register_user();
my $bob = register_user();
my ($oid, $onum) = make_order($alice->{user}{id});

# ---- create-order
my $r = req(POST => '/api/payments/create-order', token => $alice->{token}, json => { orderId => $oid });
is $r->{status}, 200, 'create-order answers 200' or diag $r->{content};
my $c = $r->{json};
is $c->{amount}, 129875, 'amount in integer paise from the DB (1249.50 + 49.25)';
ok !ref($c->{amount}) && $r->{content} =~ /"amount":129875\b/, 'amount is a JSON integer';
is $c->{currency}, 'INR', 'currency INR';
is $c->{key_id}, $ENV{RAZORPAY_KEY_ID}, 'key_id is the public key id';
like $c->{order_id}, qr/^order_[A-Za-z0-9]{14}$/, 'Razorpay order id';

my @posts = grep { $_->{method} eq 'POST' && $_->{path} eq '/v1/orders' && ($_->{body} // '') =~ /"receipt":"$onum"/ } rzp_requests();
is scalar @posts, 1, 'one POST /v1/orders with our receipt';
my $sent = json_of($posts[0]{body});
is $sent->{amount}, 129875, 'paise sent to Razorpay';
is $sent->{receipt}, "$onum", 'receipt is the order number as text';
is $sent->{notes}{orderId}, $oid, 'notes carry our order id';
is $posts[0]{headers}{authorization}, 'Basic ' . encode_base64("$ENV{RAZORPAY_KEY_ID}:$ENV{RAZORPAY_KEY_SECRET}", ''),
    'HTTP Basic auth with key id and secret';

my $again = req(POST => '/api/payments/create-order', token => $alice->{token}, json => { orderId => $oid });
is $again->{status}, 200, 'repeat answers 200';
is $again->{json}{order_id}, $c->{order_id}, 'repeat gives the same Razorpay order';
@posts = grep { $_->{method} eq 'POST' && $_->{path} eq '/v1/orders' && ($_->{body} // '') =~ /"receipt":"$onum"/ } rzp_requests();
is scalar @posts, 1, 'still only ONE POST /v1/orders';
is_deeply [db_row("SELECT status, razorpay_order_id FROM payments WHERE order_id = :'p1'", $oid)],
    ['CREATED', $c->{order_id}], 'payments row CREATED with the Razorpay id';

# ---- refusals
is req(POST => '/api/payments/create-order', token => $bob->{token}, json => { orderId => $oid })->{status}, 404,
    "someone else's order is 404";
is req(POST => '/api/payments/create-order', token => $alice->{token}, json => { orderId => '6f1c1b2a-0000-4000-8000-000000000000' })->{status},
    404, 'an unknown order is 404';
is req(POST => '/api/payments/create-order', token => $alice->{token}, json => { orderId => 'nope' })->{status}, 400,
    'a non-UUID orderId is a validation error';
is req(POST => '/api/payments/create-order', json => { orderId => $oid })->{status}, 401, 'no token: 401';
my ($cancelled) = make_order($alice->{user}{id}, status => 'CANCELLED');
$r = req(POST => '/api/payments/create-order', token => $alice->{token}, json => { orderId => $cancelled });
is $r->{status}, 409, 'a cancelled order is not payable';
is $r->{json}{error}{code}, 'ORDER_NOT_PAYABLE', '409 ORDER_NOT_PAYABLE';

# ---- Razorpay down: 503, nothing half-written, a later call works
my ($down, $down_num) = make_order($alice->{user}{id});
fake_post($FAKE, '/_fake/fault', { match => '^POST /v1/orders$', mode => 'status', status => 500, count => 1 });
$r = req(POST => '/api/payments/create-order', token => $alice->{token}, json => { orderId => $down });
is $r->{status}, 503, 'Razorpay 500 gives 503';
is $r->{json}{error}{code}, 'PAYMENT_PROVIDER_UNAVAILABLE', 'PAYMENT_PROVIDER_UNAVAILABLE';
my ($pst, $prz, $perr) = db_row("SELECT status, razorpay_order_id, last_error FROM payments WHERE order_id = :'p1'", $down);
is $pst, 'CREATING', 'the payment row stays CREATING';
is $prz, '', 'no Razorpay id stored';
like $perr, qr/unavailable/, 'the reason is kept';
is_deeply [db_row("SELECT status FROM orders WHERE id = :'p1'", $down)], ['PENDING'], 'order untouched';
$r = req(POST => '/api/payments/create-order', token => $alice->{token}, json => { orderId => $down });
is $r->{status}, 200, 'the retry succeeds';
my @look = grep { $_->{method} eq 'GET' && $_->{path} eq '/v1/orders' && ($_->{query} // '') =~ /receipt=$down_num\b/ } rzp_requests();
ok scalar @look, 'the retry looked the receipt up first';

# ---- Razorpay refuses: 502
my ($tiny) = make_order($alice->{user}{id}, subtotal => '0.50', fee => '0.00');
$r = req(POST => '/api/payments/create-order', token => $alice->{token}, json => { orderId => $tiny });
is $r->{status}, 502, 'Razorpay 400 (amount below INR 1) gives 502';
is $r->{json}{error}{code}, 'PAYMENT_PROVIDER_ERROR', 'PAYMENT_PROVIDER_ERROR';

# ---- the full pay path: checkout, verify
my $pay = fake_post($FAKE, '/_fake/checkout', { order_id => $c->{order_id}, status => 'captured' });
ok $pay->{razorpay_signature}, 'the fake checkout signed the payment';
my %forged = (%$pay, razorpay_signature => checkout_signature($c->{order_id}, $pay->{razorpay_payment_id}, 'wrong-secret'));
$r = req(POST => '/api/payments/verify', token => $alice->{token}, json => \%forged);
is $r->{status}, 400, 'forged signature: 400';
is $r->{json}{error}{code}, 'INVALID_SIGNATURE', 'INVALID_SIGNATURE';
is_deeply [db_row("SELECT o.status, p.status, coalesce(p.razorpay_payment_id, '') FROM orders o JOIN payments p ON p.order_id = o.id WHERE o.id = :'p1'", $oid)],
    ['PENDING', 'CREATED', ''], 'nothing changed';
$r = req(POST => '/api/payments/verify', token => $bob->{token}, json => $pay);
is $r->{status}, 404, "verify on someone else's payment is 404";

$r = req(POST => '/api/payments/verify', token => $alice->{token}, json => $pay);
is $r->{status}, 200, 'verify answers 200' or diag $r->{content};
is $r->{json}{status}, 'CONFIRMED', 'order CONFIRMED';
is $r->{json}{id}, $oid, 'the order answered';
is $r->{json}{payment}{status}, 'CAPTURED', 'payment CAPTURED';
is $r->{json}{payment}{razorpayPaymentId}, $pay->{razorpay_payment_id}, 'payment id stored';
is_deeply [history($oid)], [['PENDING', 'CONFIRMED', "customer:$alice->{user}{id}"]], 'one history row';
ok db_row("SELECT captured_at IS NOT NULL FROM payments WHERE order_id = :'p1'", $oid), 'captured_at stamped';

$r = req(POST => '/api/payments/verify', token => $alice->{token}, json => $pay);
is $r->{status}, 200, 'repeated verify answers 200';
is $r->{json}{status}, 'CONFIRMED', 'still CONFIRMED';
is scalar(history($oid)), 1, 'still one history row';
$r = req(POST => '/api/payments/create-order', token => $alice->{token}, json => { orderId => $oid });
is $r->{status}, 409, 'a confirmed order is no longer payable';

done_testing;
