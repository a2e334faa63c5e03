#!/usr/bin/perl
# 44-webhooks.t: POST /api/payments/webhook: signatures, de-duplication, events, and the verify/webhook race.
use strict;
use warnings;
use Test::More;
use HTTP::Tiny;
use JSON::PP;
use LaFete::Test;
use FakeRazorpay qw(sign_webhook webhook_body event_id);

my $FAKE = $ENV{FAKE_RAZORPAY_URL} or plan skip_all => 'run through script/test';
my $SECRET = $ENV{RAZORPAY_WEBHOOK_SECRET};

sub db { psql(@_) }	# :'p1'... bound by psql
sub db_row { my @r = db(@_); return $r[0] ? @{ $r[0] } : () }
sub make_order {
    my ($user_id) = @_;
    my ($id) = db_row(
        "INSERT INTO orders (user_id, address, subtotal, delivery_fee, total_amount, delivery_slot, slot_units, tracking_token) "
        . "VALUES (:'p1', '{\"street\":\"1 MG Road\",\"city\":\"Bengaluru\",\"pincode\":\"560001\"}', 999.00, 51.00, 1050.00, "
        . "now() + interval '3 days', 1, md5(random()::text)) RETURNING id", $user_id);
    return $id;
}
my $user = register_user();
# A PENDING order with its Razorpay order: [order id, razorpay order id].
sub payable_order {
    my $oid = make_order($user->{user}{id});
    my $r = req(POST => '/api/payments/create-order', token => $user->{token}, json => { orderId => $oid });
    die "create-order: $r->{content}" unless $r->{status} == 200;
    return ($oid, $r->{json}{order_id});
}
my $pseq = 0;
sub pay_id { sprintf 'pay_LaFeteTst%06d', ++$pseq + $$ % 1000 * 1000 }
sub payment {
    my ($rzp_order, %o) = @_;
    return { id => $o{id} // pay_id(), entity => 'payment', amount => $o{amount} // 105000, currency => $o{currency} // 'INR',
             status => $o{status} // 'captured', order_id => $rzp_order, method => 'upi', captured => JSON::PP::true,
             error_code => $o{error_code}, error_description => $o{error_description}, notes => [] };
}
sub hook {
    my ($body, %o) = @_;
    my %h = ('Content-Type' => 'application/json', 'X-Razorpay-Event-Id' => $o{event_id} // event_id());
    delete $h{'X-Razorpay-Event-Id'} if $o{noid};
    $h{'X-Razorpay-Signature'} = $o{sig} // sign_webhook($body, $SECRET) unless $o{nosig};
    return req(POST => '/api/payments/webhook', raw => $body, headers => \%h);
}
sub status_of { db_row("SELECT o.status, p.status FROM orders o JOIN payments p ON p.order_id = o.id WHERE o.id = :'p1'", $_[0]) }
sub confirmations { scalar db("SELECT 1 FROM order_status_history WHERE order_id = :'p1' AND to_status = 'CONFIRMED'", $_[0]) }

# ---- payment.captured alone confirms (the browser never called verify)
my ($o1, $z1) = payable_order();
my $body = webhook_body(event => 'payment.captured', payment => payment($z1));
my $r = hook($body, nosig => 1);
is $r->{status}, 400, 'missing signature: 400';
$r = hook($body, sig => sign_webhook($body, 'another-secret'));
is $r->{status}, 400, 'bad signature: 400';
is $r->{json}{error}{code}, 'INVALID_SIGNATURE', 'INVALID_SIGNATURE';
$r = hook("$body ", sig => sign_webhook($body, $SECRET));
is $r->{status}, 400, 'signature over other bytes: 400';
is_deeply [status_of($o1)], ['PENDING', 'CREATED'], 'nothing changed';
is scalar db("SELECT 1 FROM webhook_events WHERE event_type = 'payment.captured'"), 0, 'no event recorded';

my $ev = event_id();
$r = hook($body, event_id => $ev);
is $r->{status}, 200, 'signed payment.captured: 200' or diag $r->{content};
is_deeply [status_of($o1)], ['CONFIRMED', 'CAPTURED'], 'order CONFIRMED, payment CAPTURED';
is_deeply [db_row("SELECT actor FROM order_status_history WHERE order_id = :'p1'", $o1)], ['razorpay'], 'history actor razorpay';
$r = hook($body, event_id => $ev);
is_deeply $r->{json}, { status => 'duplicate' }, 'same event id: {"status":"duplicate"}';
is confirmations($o1), 1, 'one CONFIRMED history row';

# ---- order.paid, delivered twice with the same id and once with another
my ($o2, $z2) = payable_order();
my $p2 = payment($z2);
my $paid = webhook_body(event => 'order.paid', payment => $p2,
    order => { id => $z2, entity => 'order', amount => 105000, amount_paid => 105000, amount_due => 0, currency => 'INR',
               status => 'paid', attempts => 1, notes => [] });
my $ev2 = event_id();
is hook($paid, event_id => $ev2)->{status}, 200, 'order.paid: 200';
is hook($paid, event_id => $ev2)->{json}{status}, 'duplicate', 'order.paid again: duplicate';
is hook(webhook_body(event => 'payment.captured', payment => $p2))->{status}, 200, 'payment.captured after order.paid: 200';
is_deeply [status_of($o2)], ['CONFIRMED', 'CAPTURED'], 'confirmed once';
is confirmations($o2), 1, 'one CONFIRMED history row';

# ---- payment.failed, then a late capture
my ($o3, $z3) = payable_order();
my $late = pay_id();
$r = hook(webhook_body(event => 'payment.failed', payment => payment($z3, id => $late, status => 'failed',
    error_code => 'BAD_REQUEST_ERROR', error_description => 'Payment failed')));
is $r->{status}, 200, 'payment.failed: 200';
is_deeply [db_row("SELECT o.status, p.status, p.error_code, p.error_description FROM orders o JOIN payments p ON p.order_id = o.id WHERE o.id = :'p1'", $o3)],
    ['PENDING', 'FAILED', 'BAD_REQUEST_ERROR', 'Payment failed'], 'payment FAILED with the reason, order PENDING';
is req(POST => '/api/payments/create-order', token => $user->{token}, json => { orderId => $o3 })->{json}{order_id}, $z3,
    'the order is still payable (same Razorpay order)';
is hook(webhook_body(event => 'payment.authorized', payment => payment($z3, id => $late, status => 'authorized')))->{status}, 200,
    'late payment.authorized: 200';
is_deeply [status_of($o3)], ['PENDING', 'AUTHORIZED'], 'authorized is recorded, not confirmed';
is hook(webhook_body(event => 'payment.captured', payment => payment($z3, id => $late)))->{status}, 200, 'then captured';
is_deeply [status_of($o3)], ['CONFIRMED', 'CAPTURED'], 'the late capture confirms';

# ---- no X-Razorpay-Event-Id: de-duplicated by (event, entity id)
{
    my ($o, $z) = payable_order();
    my $p = pay_id();
    my $failed = webhook_body(event => 'payment.failed', payment => payment($z, id => $p, status => 'failed',
        error_code => 'BAD_REQUEST_ERROR', error_description => 'first failure'));
    is hook($failed, noid => 1)->{json}{status}, 'recorded', 'payment.failed without an event id: recorded';
    db("UPDATE payments SET error_description = 'changed since' WHERE order_id = :'p1'", $o);
    is hook($failed, noid => 1)->{json}{status}, 'duplicate', 'the same event for the same payment again: duplicate';
    is_deeply [db_row("SELECT error_description FROM payments WHERE order_id = :'p1'", $o)], ['changed since'],
        'and it was not applied a second time';
    my $cap = webhook_body(event => 'payment.captured', payment => payment($z, id => $p));
    is hook($cap, noid => 1)->{json}{status}, 'confirmed', 'another event for that payment is processed';
    is hook($cap, noid => 1)->{json}{status}, 'duplicate', 'and is itself de-duplicated';
    is confirmations($o), 1, 'one CONFIRMED history row';
    is scalar db("SELECT 1 FROM webhook_events WHERE source = 'razorpay' AND event_id LIKE '%' || :'p1'", $p), 2,
        'one webhook_events row per (event, payment)';
}

# ---- mismatches and strangers
my ($o4, $z4) = payable_order();
$r = hook(webhook_body(event => 'payment.captured', payment => payment($z4, amount => 100)));
is $r->{status}, 200, 'amount mismatch acknowledged';
is_deeply [status_of($o4)], ['PENDING', 'CREATED'], 'amount mismatch: not confirmed';
is_deeply [db_row("SELECT needs_attention FROM orders WHERE id = :'p1'", $o4)], ['t'], 'the order needs attention';
hook(webhook_body(event => 'payment.captured', payment => payment($z4, currency => 'USD')));
is_deeply [status_of($o4)], ['PENDING', 'CREATED'], 'currency mismatch: not confirmed';
$r = hook(webhook_body(event => 'payment.captured', payment => payment('order_UnknownOrder01')));
is $r->{status}, 200, 'unknown order: 200';
is $r->{json}{status}, 'kept', 'kept until an order of ours records that id (t/58)';
is_deeply [db_row("SELECT event_type FROM early_events WHERE source = 'razorpay' AND subject = 'order_UnknownOrder01'")],
    ['payment.captured'], 'in early_events';
$r = hook(webhook_body(event => 'subscription.charged', payment => payment($z4)));
is_deeply [$r->{status}, $r->{json}{status}], [200, 'ignored'], 'unknown event type: 200 ignored';
my $junk = '{"event":"payment.captured",';
$r = hook($junk);
is $r->{status}, 400, 'malformed JSON with a valid signature: 400';
$r = hook('{"event":"payment.captured","payload":{}}');
is $r->{status}, 400, 'an event without a payment: 400';
$r = req(POST => '/api/payments/webhook', raw => 'x' x (70 * 1024),
         headers => { 'Content-Type' => 'application/json', 'X-Razorpay-Signature' => 'a' x 64 });
is $r->{status}, 413, 'more than 64 KiB: 413';

# ---- the race: 20 verifies and duplicate webhooks at once, one confirmation
my ($o5, $z5) = payable_order();
my $pay = fake_post($FAKE, '/_fake/checkout', { order_id => $z5, status => 'captured' });
my $cap = webhook_body(event => 'payment.captured', payment => payment($z5, id => $pay->{razorpay_payment_id}));
my $cap_ev = event_id();
my $base = base_url();
my @kids;
for my $i (1 .. 26) {
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        my $http = HTTP::Tiny->new(verify_SSL => 0, timeout => 60);
        my ($path, $content, %h);
        if ($i <= 20) {
            ($path, $content, %h) = ('/api/payments/verify', encode_json($pay), Authorization => "Bearer $user->{token}");
        } else {
            my $id = $i <= 24 ? $cap_ev : event_id();
            ($path, $content, %h) = ('/api/payments/webhook', $cap,
                'X-Razorpay-Signature' => sign_webhook($cap, $SECRET), 'X-Razorpay-Event-Id' => $id);
        }
        my $res = $http->post("$base$path", { headers => { 'Content-Type' => 'application/json', %h }, content => $content });
        POSIX::_exit($res->{status} == 200 ? 0 : 1);
    }
    push @kids, $pid;
}
require POSIX;
my $fails = 0;
for (@kids) { waitpid($_, 0); $fails++ if $? }
is $fails, 0, 'all 26 parallel calls answered 200';
is_deeply [status_of($o5)], ['CONFIRMED', 'CAPTURED'], 'order CONFIRMED';
is confirmations($o5), 1, 'exactly one CONFIRMED history row';
is scalar db("SELECT 1 FROM webhook_events WHERE event_id = :'p1'", $cap_ev), 1, 'the event id recorded once';

done_testing;
