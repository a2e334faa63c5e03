package FakeRazorpay;

# Test helpers for the fake Razorpay (t/fakes/razorpay.pl): webhook bodies
# shaped like Razorpay's events and their signatures (see doc/partners.md §5-6).
#
#   my $body = FakeRazorpay::webhook_body(event => 'payment.captured', payment => $p);
#   my $sig  = FakeRazorpay::sign_webhook($body, $webhook_secret);
#   # POST $body with headers X-Razorpay-Signature: $sig, X-Razorpay-Event-Id: ...

use strict;
use warnings;
use Exporter 'import';
use Digest::SHA qw(hmac_sha256_hex);
use JSON::PP ();

our @EXPORT_OK = qw(sign_webhook webhook_body checkout_signature event_id);

# Hex HMAC-SHA256 of the raw body bytes, keyed with the webhook secret.
sub sign_webhook {
    my ($body, $secret) = @_;
    return hmac_sha256_hex($body, $secret);
}

# Checkout signature: hex HMAC-SHA256 of "order_id|payment_id" with the key secret.
sub checkout_signature {
    my ($order_id, $payment_id, $key_secret) = @_;
    return hmac_sha256_hex("$order_id|$payment_id", $key_secret);
}

# A fresh opaque value for the X-Razorpay-Event-Id header.
sub event_id {
    my @c = ('A' .. 'Z', 'a' .. 'z', '0' .. '9');
    return join '', map { $c[rand @c] } 1 .. 14;
}

# Builds the event envelope as raw JSON bytes (compact, UTF-8):
#   {"entity":"event","account_id":...,"event":...,"contains":[...],
#    "payload":{"payment":{"entity":{...}},"order":{"entity":{...}}},"created_at":...}
# Args: event (required), payment / order / refund entities (hashrefs),
# account_id, created_at.  `contains` lists the given entities in Razorpay's
# order: refund, payment, order.
sub webhook_body {
    my (%a) = @_;
    die "webhook_body: event is required\n" unless $a{event};
    my (@contains, %payload);
    for my $k (qw(refund payment order)) {
        next unless $a{$k};
        push @contains, $k;
        $payload{$k} = { entity => $a{$k} };
    }
    @contains = ('payment', 'order') if $a{event} eq 'order.paid' && $a{payment} && $a{order};
    my $event = {
        entity     => 'event',
        account_id => $a{account_id} // 'acc_FakeAccount0001',
        event      => $a{event},
        contains   => \@contains,
        payload    => \%payload,
        created_at => $a{created_at} // time,
    };
    return JSON::PP->new->utf8->canonical->encode($event);
}

1;
