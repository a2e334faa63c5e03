#!/usr/bin/perl
# 82-faults-partners.t: the fault matrix, the partners' rows. Razorpay times out
# on create-order (before and after making the order) and on a refund (after
# making it); Borzo answers 500 and then succeeds (a booking, a quote); the
# SMTP server is down for a dispatch pass. Each case ends with every order,
# payment, refund, booking and email there once: none lost, none doubled.
use strict;
use warnings;
use Test::More;
use LaFete::Test;
use LaFete::Fulfil;
use LaFete::Faults;
use JSON::PP ();
use IO::Socket::INET;

plan skip_all => 'run through script/test' unless $ENV{FAKE_RAZORPAY_URL} && $ENV{FAKE_BORZO_URL} && $ENV{FAKE_SMTP_DIR};
my $admin = admin_token();
my $RZP_TIMEOUT = 10;    # src/razorpay.c RZP_TIMEOUT_MS

sub receipts { rzp_api(GET => "/orders?receipt=$_[0]")->{count} }

# A PENDING order of a fresh shopper: (shopper, order answer).
my $n = 0;
sub pending {
    my $s = shopper();
    my $o = place_order($s, slot_at(13, sprintf('%02d:00:00', 10 + 2 * ($n++ % 6))), "fault-partner-$$-$n");
    die "order: $o->{content}" unless $o->{status} == 201;
    return ($s, $o->{json});
}

# ---- Razorpay times out on create-order before making anything ----
{
    my ($s, $o) = pending();
    rzp_control('/_fake/fault', { match => '^POST /v1/orders$', mode => 'timeout', delay_ms => ($RZP_TIMEOUT + 2) * 1000 });
    my $r = req(POST => '/api/payments/create-order', token => $s->{token}, json => { orderId => $o->{id} });
    is($r->{status}, 503, 'Razorpay silent past our timeout: 503') or diag($r->{content});
    is($r->{json}{error}{code}, 'PAYMENT_PROVIDER_UNAVAILABLE', 'PAYMENT_PROVIDER_UNAVAILABLE');
    is(receipts($o->{orderNumber}), 0, 'Razorpay made nothing');
    like(db_one("SELECT last_error FROM payments WHERE order_id = :'p1'", $o->{id}), qr/timeout/, 'the reason is on the payment');
    $r = req(POST => '/api/payments/create-order', token => $s->{token}, json => { orderId => $o->{id} });
    is($r->{status}, 200, 'the retry: 200') or diag($r->{content});
    is(receipts($o->{orderNumber}), 1, 'one Razorpay order (looked up by receipt first, then made)');
}

# ---- Razorpay times out on create-order after making the order ----
{
    my ($s, $o) = pending();
    rzp_control('/_fake/fault', { match => '^POST /v1/orders$', mode => 'late', delay_ms => ($RZP_TIMEOUT + 2) * 1000 });
    my $r = req(POST => '/api/payments/create-order', token => $s->{token}, json => { orderId => $o->{id} });
    is($r->{status}, 503, 'the answer never came in time: 503') or diag($r->{content});
    is(receipts($o->{orderNumber}), 1, 'but Razorpay made the order');
    $r = req(POST => '/api/payments/create-order', token => $s->{token}, json => { orderId => $o->{id} });
    is($r->{status}, 200, 'the retry: 200') or diag($r->{content});
    my $list = rzp_api(GET => "/orders?receipt=$o->{orderNumber}");
    is($list->{count}, 1, 'still one Razorpay order: found by receipt, not made twice');
    is($r->{json}{order_id}, $list->{items}[0]{id}, 'the one answered');
    my $paid = rzp_control('/_fake/checkout', { order_id => $r->{json}{order_id}, status => 'captured' });
    is(req(POST => '/api/payments/verify', token => $s->{token}, json => $paid)->{status}, 200, 'and it takes the payment');
    is(db_one("SELECT status FROM orders WHERE id = :'p1'", $o->{id}), 'CONFIRMED', 'CONFIRMED');
}

# ---- Razorpay times out on a refund after making it ----
{
    my ($s, $o) = pending();
    my $co = req(POST => '/api/payments/create-order', token => $s->{token}, json => { orderId => $o->{id} });
    my $paid = rzp_control('/_fake/checkout', { order_id => $co->{json}{order_id}, status => 'captured' });
    is(req(POST => '/api/payments/verify', token => $s->{token}, json => $paid)->{status}, 200, 'a paid order');
    my $pay = $paid->{razorpay_payment_id};
    rzp_control('/_fake/fault', { match => '^POST /v1/payments/.*/refund$', mode => 'late', delay_ms => ($RZP_TIMEOUT + 2) * 1000 });
    my $r = req(POST => "/api/admin/orders/$o->{id}/refund", token => $admin);
    is($r->{status}, 200, 'staff cancel and refund: 200 (the cancellation stands)') or diag($r->{content});
    is($r->{json}{refund}{status}, 'PENDING', 'the refund is PENDING: its outcome is unknown');
    like($r->{json}{refund}{lastError}, qr/timeout/, 'because Razorpay timed out');
    is(rzp_api(GET => "/payments/$pay/refunds")->{count}, 1, 'Razorpay did make it');
    is(db_one("SELECT state FROM jobs WHERE kind = 'refund' AND order_id = :'p1'", $o->{id}), 'queued', 'a refund job is queued');
    sql("UPDATE jobs SET run_at = now() WHERE kind = 'refund' AND order_id = :'p1'", $o->{id});
    my $d = dispatch_pass();
    cmp_ok($d->{json}{refundsRetried} // 0, '>=', 1, 'the pass retried it');
    my $refunds = rzp_api(GET => "/payments/$pay/refunds");
    is($refunds->{count}, 1, 'the retry, with the same idempotency key, got the same refund back: one refund');
    is($refunds->{items}[0]{amount}, db_one("SELECT (total_amount * 100)::int FROM orders WHERE id = :'p1'", $o->{id}),
       'of the whole amount');
    is_deeply([ sql_row("SELECT f.status, f.razorpay_refund_id, f.amount * 100, p.status FROM refunds f JOIN payments p "
                        . "ON p.id = f.payment_id WHERE f.order_id = :'p1'", $o->{id}) ],
              ['PROCESSED', $refunds->{items}[0]{id}, $refunds->{items}[0]{amount} . '.00', 'REFUNDED'],
              'our one refund row is that refund, PROCESSED; the payment REFUNDED');
    is(db_one("SELECT state FROM jobs WHERE kind = 'refund' AND order_id = :'p1'", $o->{id}), 'done', 'the job is done');
    dispatch_pass();
    is(rzp_api(GET => "/payments/$pay/refunds")->{count}, 1, 'another pass refunds nothing more');
    is(db_one("SELECT count(*) FROM emails WHERE order_id = :'p1' AND kind = 'cancelled'", $o->{id}), 1, 'one "cancelled" email');
}

# ---- Borzo answers 500, then succeeds: a booking ----
{
    my $o = make_order();
    fault(mode => 'status', status => 500);
    my $r = req(POST => "/api/delivery/book/$o->{id}", token => $admin);
    is($r->{status}, 503, 'Borzo 500: the booking answers 503') or diag($r->{content});
    is($r->{json}{error}{code}, 'COURIER_UNAVAILABLE', 'COURIER_UNAVAILABLE');
    is(db_one("SELECT booking_state FROM deliveries WHERE order_id = :'p1'", $o->{id}), 'FAILED', 'recorded as failed');
    is(db_one("SELECT state FROM jobs WHERE kind = 'book_courier' AND order_id = :'p1'", $o->{id}), 'queued', 'a retry queued');
    sql("UPDATE jobs SET run_at = now() WHERE kind = 'book_courier' AND order_id = :'p1'", $o->{id});
    dispatch_pass();
    is(db_one("SELECT booking_state FROM deliveries WHERE order_id = :'p1'", $o->{id}), 'BOOKED', 'Borzo answers now: BOOKED');
    my @made = grep { $_->{json} } creates_for($o->{number});
    is(scalar @made, 2, 'two create-order calls reached Borzo (the refused one and the retry)');
    is(scalar(grep { grep { ($_->{client_order_id} // '') eq "$o->{number}" } @{ $_->{points} || [] } }
              values %{ borzo_state()->{orders} || {} }), 1, 'one Borzo order exists for it');
    is(db_one("SELECT count(*) FROM order_status_history WHERE order_id = :'p1' AND to_status = 'DISPATCHED'", $o->{id}), 1, 'dispatched once');
    is(db_one("SELECT count(*) FROM emails WHERE order_id = :'p1' AND kind = 'on_the_way'", $o->{id}), 1, 'one "on the way" email');
    is(db_one("SELECT state FROM jobs WHERE kind = 'book_courier' AND order_id = :'p1'", $o->{id}), 'done', 'the job is done');
}

# ---- Borzo answers 500, then succeeds: the delivery fee of a new order ----
{
    my $s = shopper();
    # a point no other test prices: the quote cannot come from the cache
    sql("UPDATE addresses SET latitude = 12.9019, longitude = 77.6151 WHERE id = :'p1'", $s->{address_id});
    my $slot = slot_at(13, '18:00:00');
    my $units = booked_units($slot);
    fault(mode => 'status', status => 500, match => '^POST .*/calculate-order$');
    my $r = place_order($s, $slot, "fault-quote-$$");
    is($r->{status}, 503, 'no fee without Borzo: 503') or diag($r->{content});
    is(db_one("SELECT count(*) FROM orders WHERE user_id = :'p1'", $s->{uid}), 0, 'no order written');
    is(booked_units($slot), $units, 'no units booked');
    is(db_one("SELECT count(*) FROM cart_items WHERE cart_id = :'p1'", $s->{cart_id}), 1, 'the cart intact');
    $r = place_order($s, $slot, "fault-quote-$$");
    is($r->{status}, 201, 'Borzo answers now: 201') or diag($r->{content});
    is(db_one("SELECT count(*) FROM orders WHERE user_id = :'p1'", $s->{uid}), 1, 'one order');
    is(booked_units($slot), $units + 2, 'units booked once');
}

# ---- the SMTP server is down for a pass ----
{
    my @orders = map { make_order() } 1 .. 3;
    is(req(POST => "/api/delivery/book/$_->{id}", token => $admin)->{status}, 200, "order $_->{number} booked: an email queued")
        for @orders;
    ok(smtp_stop(), 'the SMTP server stopped');
    my ($port) = $ENV{SMTP_URL} =~ /:(\d+)$/;
    ok(!IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => 1), 'SMTP refuses connections');
    my $r = dispatch_pass();
    is($r->{status}, 200, 'a pass while SMTP is down: 200');
    cmp_ok($r->{json}{emailsFailed}, '>=', 1, 'it counts the failure');
    is($r->{json}{emailsSent}, 0, 'and sends nothing');
    for my $o (@orders) {
        is(db_one("SELECT state FROM emails WHERE order_id = :'p1' AND kind = 'on_the_way'", $o->{id}), 'queued',
           "order $o->{number}: its email is still queued");
    }
    smtp_start();
    sql("UPDATE jobs SET run_at = now() WHERE kind = 'send_email' AND state = 'queued'");
    sql("UPDATE emails SET send_after = now() WHERE state = 'queued'");
    $r = dispatch_pass();
    cmp_ok($r->{json}{emailsSent}, '>=', 3, 'SMTP back: the next pass sends them');
    dispatch_pass();
    for my $o (@orders) {
        my $to = $o->{user}{email};
        my @got = grep {
            my $env = JSON::PP::decode_json(do { local (@ARGV, $/) = $_; <> });
            grep { $_ eq $to } @{ $env->{rcpt_to} };
        } glob "$ENV{FAKE_SMTP_DIR}/*.json";
        is(scalar @got, 1, "order $o->{number}: exactly one message reached its customer");
        is(db_one("SELECT state FROM emails WHERE order_id = :'p1' AND kind = 'on_the_way'", $o->{id}), 'sent', 'marked sent');
    }
}

done_testing;
