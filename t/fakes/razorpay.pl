#!/usr/bin/perl
# Fake Razorpay API v1 for tests (see t/fakes/README.md and doc/partners.md §1-7).
#
#   perl t/fakes/razorpay.pl --port 0 --state DIR --key-id rzp_test_X --key-secret S [--parent PID]
#
# Prints "PORT <n>" on stdout and writes DIR/port.  State lives in DIR.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Getopt::Long;
use Digest::SHA qw(hmac_sha256_hex);
use MIME::Base64 qw(encode_base64);
use File::Path qw(make_path);
use JSON::PP ();
use MiniHTTPD;

my %opt = (port => 0, 'key-id' => 'rzp_test_fake', 'key-secret' => 'fake_secret');
GetOptions(\%opt, 'port=i', 'state=s', 'key-id=s', 'key-secret=s', 'parent=i', 'unique-receipt')
    or die "usage: $0 --port P --state DIR --key-id ID --key-secret S [--parent PID] [--unique-receipt]\n";
die "--state DIR is required\n" unless $opt{state};
make_path($opt{state});
my $DIR = $opt{state};
my $AUTH = 'Basic ' . encode_base64("$opt{'key-id'}:$opt{'key-secret'}", '');

my $T = JSON::PP::true;
my $F = JSON::PP::false;
my %EMPTY_STATE = (orders => {}, payments => {}, refunds => {}, idempotency => {}, seq => 0);


# ------------------------------------------------------------------ helpers

# the partners' JSON types, shared by the fakes
*jtype = \&MiniHTTPD::jtype;
*is_int = \&MiniHTTPD::is_int;

sub error_res {
    my ($status, $desc, %o) = @_;
    return MiniHTTPD::json_response($status, { error => {
        code        => $o{code} // 'BAD_REQUEST_ERROR',
        description => $desc,
        field       => $o{field},
        source      => $o{source} // 'NA',
        step        => $o{step} // 'NA',
        reason      => $o{reason} // 'NA',
        metadata    => $o{metadata} // {},
    } });
}

sub input_error {
    my ($desc, $field) = @_;
    return error_res(400, $desc, field => $field, source => 'business',
                     step => 'payment_initiation', reason => 'input_validation_failed');
}

sub ok_res { MiniHTTPD::json_response(200, $_[0]) }

sub collection { my @items = @_; return { entity => 'collection', count => scalar @items, items => \@items } }

# Razorpay serialises empty notes as [] (see doc/partners.md §1).
sub notes_out { my ($n) = @_; return (ref $n eq 'HASH' && %$n) ? $n : [] }

sub txn { MiniHTTPD::state_txn($DIR, 'state.json', \%EMPTY_STATE, $_[0]) }

sub new_id {
    my ($st, $prefix, $table) = @_;
    while (1) {
        my $id = MiniHTTPD::random_id($prefix, 14);
        return $id unless $st->{$table}{$id};
    }
}

# notes: object (or empty array), at most 15 pairs, values at most 256 chars.
sub check_notes {
    my ($notes) = @_;
    return undef if !defined $notes;
    return undef if jtype($notes) eq 'array' && !@$notes;
    return input_error('The notes field must be an object.', 'notes') unless jtype($notes) eq 'object';
    return input_error('The notes may not have more than 15 items.', 'notes') if keys %$notes > 15;
    for my $v (values %$notes) {
        return input_error('The notes value may not be greater than 256 characters.', 'notes')
            if defined $v && length($v) > 256;
    }
    return undef;
}

sub check_unknown_fields {
    my ($body, @known) = @_;
    my %k = map { $_ => 1 } @known;
    my @extra = sort grep { !$k{$_} } keys %$body;
    return undef unless @extra;
    return error_res(400, join(', ', @extra) . ' is/are not required and should not be sent',
        field => $extra[0], source => 'business', step => 'payment_initiation', reason => 'extra_field_sent');
}

sub json_body {
    my ($req) = @_;
    return ({}) if $req->{body} eq '';
    my ($data, $err) = MiniHTTPD::decode_json_body($req->{body});
    return (undef, input_error('The request body is not valid JSON.', undef)) if $err;
    return (undef, input_error('The request body must be a JSON object.', undef)) unless jtype($data) eq 'object';
    return ($data);
}

# ------------------------------------------------------------------ dispatch

sub handle {
    my ($req) = @_;
    my ($m, $p) = ($req->{method}, $req->{path});

    return control($req) if $p =~ m{^/_fake/};

    return error_res(400, 'The requested URL was not found on the server.') unless $p =~ m{^/v1/};

    MiniHTTPD::log_append($DIR, 'requests.jsonl', MiniHTTPD::request_record($req));

    if (my $fault = MiniHTTPD::fault_take($DIR, $req)) {
        return MiniHTTPD::fault_late($fault, route($req)) if $fault->{mode} eq 'late';
        return MiniHTTPD::fault_apply($fault, sub {
            error_res($_[0]{status} // 503,
                'The server encountered an error. The incident has been reported to admins.',
                code => 'SERVER_ERROR');
        });
    }
    return route($req);
}

# The partner API itself (faults aside).
sub route {
    my ($req) = @_;
    my ($m, $p) = ($req->{method}, $req->{path});
    return error_res(401, 'Authentication failed') unless ($req->{headers}{authorization} // '') eq $AUTH;

    return create_order($req)                  if $m eq 'POST'  && $p eq '/v1/orders';
    return list_orders($req)                   if $m eq 'GET'   && $p eq '/v1/orders';
    return fetch_order($1)                     if $m eq 'GET'   && $p =~ m{^/v1/orders/([^/]+)$};
    return update_order($req, $1)              if $m eq 'PATCH' && $p =~ m{^/v1/orders/([^/]+)$};
    return order_payments($1)                  if $m eq 'GET'   && $p =~ m{^/v1/orders/([^/]+)/payments$};
    return fetch_payment($1)                   if $m eq 'GET'   && $p =~ m{^/v1/payments/([^/]+)$};
    return capture_payment($req, $1)           if $m eq 'POST'  && $p =~ m{^/v1/payments/([^/]+)/capture$};
    return refund_payment($req, $1)            if $m eq 'POST'  && $p =~ m{^/v1/payments/([^/]+)/refund$};
    return payment_refunds($1)                 if $m eq 'GET'   && $p =~ m{^/v1/payments/([^/]+)/refunds$};
    return fetch_refund($1)                    if $m eq 'GET'   && $p =~ m{^/v1/refunds/([^/]+)$};
    return error_res(400, 'The requested URL was not found on the server.');
}

# ------------------------------------------------------------------ orders

sub create_order {
    my ($req) = @_;
    my ($b, $err) = json_body($req);
    return $err if $err;

    return $err if $err = check_unknown_fields($b, qw(amount currency receipt notes partial_payment
                                                       first_payment_min_amount payment));
    return input_error('The amount field is required.', 'amount') unless defined $b->{amount};
    return input_error('The amount must be an integer.', 'amount') unless is_int($b->{amount});
    return input_error('The amount must be at least INR 1.00', 'amount') if $b->{amount} < 100;
    return input_error('The currency field is required.', 'currency') unless defined $b->{currency};
    if (jtype($b->{currency}) ne 'string') {
        my $shown = ref $b->{currency} ? MiniHTTPD::body_text($MiniHTTPD::JSON->encode($b->{currency})) : $b->{currency};
        return input_error("currency: expected string but provided $shown", 'currency');
    }
    return input_error('Currency is not supported', 'currency') unless $b->{currency} =~ /^[A-Z]{3}$/;
    if (defined $b->{receipt}) {
        return input_error('The receipt must be a string.', 'receipt') unless jtype($b->{receipt}) eq 'string';
        return input_error('The receipt may not be greater than 40 characters.', 'receipt')
            if length($b->{receipt}) > 40;
    }
    return $err if $err = check_notes($b->{notes});
    if (defined $b->{partial_payment} && jtype($b->{partial_payment}) ne 'boolean') {
        return input_error('The partial payment field must be true or false.', 'partial_payment');
    }

    my $amount = 0 + $b->{amount};
    return txn(sub {
        my ($st) = @_;
        if ($opt{'unique-receipt'} && defined $b->{receipt}) {
            for my $o (values %{ $st->{orders} }) {
                return input_error('Order receipt should be unique.', 'receipt')
                    if defined $o->{receipt} && $o->{receipt} eq $b->{receipt};
            }
        }
        my $id = new_id($st, 'order_', 'orders');
        my $order = {
            id => $id, entity => 'order', amount => $amount, amount_paid => 0, amount_due => $amount,
            currency => $b->{currency}, receipt => $b->{receipt}, offer_id => undef, status => 'created',
            attempts => 0, notes => notes_out($b->{notes}), created_at => time,
            _seq => ++$st->{seq},
        };
        $order->{partial_payment} = $b->{partial_payment} if defined $b->{partial_payment};
        $st->{orders}{$id} = $order;
        return ok_res(public($order));
    });
}

# Strips bookkeeping fields (leading underscore).
sub public {
    my ($e) = @_;
    return { map { $_ => $e->{$_} } grep { !/^_/ } keys %$e };
}

sub bad_id { my ($id) = @_; return error_res(400, "$id is not a valid id", field => 'id') }
sub no_such_id { error_res(400, 'The id provided does not exist', field => 'id') }

sub fetch_order {
    my ($id) = @_;
    return bad_id($id) unless $id =~ /^order_[A-Za-z0-9]{14}$/;
    my $st = MiniHTTPD::state_read($DIR, 'state.json', \%EMPTY_STATE);
    my $o = $st->{orders}{$id} or return no_such_id();
    return ok_res(public($o));
}

sub update_order {
    my ($req, $id) = @_;
    return bad_id($id) unless $id =~ /^order_[A-Za-z0-9]{14}$/;
    my ($b, $err) = json_body($req);
    return $err if $err;
    return $err if $err = check_unknown_fields($b, 'notes');
    return $err if $err = check_notes($b->{notes});
    return txn(sub {
        my ($st) = @_;
        my $o = $st->{orders}{$id} or return no_such_id();
        $o->{notes} = notes_out($b->{notes});
        return ok_res(public($o));
    });
}

sub list_orders {
    my ($req) = @_;
    my $q = $req->{query_params};
    for my $k (qw(count skip from to)) {
        return input_error("The $k must be an integer.", $k) if defined $q->{$k} && $q->{$k} !~ /^\d+$/;
    }
    my $count = $q->{count} // 10;
    return input_error('The count may not be greater than 100.', 'count') if $count > 100;
    my $skip = $q->{skip} // 0;
    my $st = MiniHTTPD::state_read($DIR, 'state.json', \%EMPTY_STATE);
    my @orders = sort { $b->{_seq} <=> $a->{_seq} } values %{ $st->{orders} };
    @orders = grep { defined $_->{receipt} && $_->{receipt} eq $q->{receipt} } @orders if defined $q->{receipt};
    @orders = grep { $_->{created_at} >= $q->{from} } @orders if defined $q->{from};
    @orders = grep { $_->{created_at} <= $q->{to} } @orders if defined $q->{to};
    if (defined $q->{authorized}) {
        my %auth = map { $_->{order_id} => 1 }
                   grep { $_->{status} =~ /^(authorized|captured|refunded)$/ } values %{ $st->{payments} };
        @orders = grep { ($auth{ $_->{id} } ? 1 : 0) == ($q->{authorized} ? 1 : 0) } @orders;
    }
    @orders = $skip < @orders ? splice(@orders, $skip, $count) : ();
    return ok_res(collection(map { public($_) } @orders));
}

sub order_payments {
    my ($id) = @_;
    return bad_id($id) unless $id =~ /^order_[A-Za-z0-9]{14}$/;
    my $st = MiniHTTPD::state_read($DIR, 'state.json', \%EMPTY_STATE);
    return no_such_id() unless $st->{orders}{$id};
    my @p = sort { $a->{_seq} <=> $b->{_seq} } grep { ($_->{order_id} // '') eq $id } values %{ $st->{payments} };
    return ok_res(collection(map { public($_) } @p));
}

# ------------------------------------------------------------------ payments

sub fetch_payment {
    my ($id) = @_;
    return bad_id($id) unless $id =~ /^pay_[A-Za-z0-9]{14}$/;
    my $st = MiniHTTPD::state_read($DIR, 'state.json', \%EMPTY_STATE);
    my $p = $st->{payments}{$id} or return no_such_id();
    return ok_res(public($p));
}

sub mark_captured {
    my ($st, $p) = @_;
    my $fee = int($p->{amount} * 2 / 100);
    my $tax = int($fee * 18 / 100);
    $p->{status} = 'captured';
    $p->{captured} = $T;
    $p->{fee} = $fee + $tax;          # Razorpay's fee includes the tax
    $p->{tax} = $tax;
    @$p{qw(error_code error_description error_source error_step error_reason)} = ();
    my $o = $st->{orders}{ $p->{order_id} // '' } or return;
    $o->{status} = 'paid';
    $o->{amount_paid} = 0 + $p->{amount};
    $o->{amount_due} = 0;
}

sub capture_payment {
    my ($req, $id) = @_;
    return bad_id($id) unless $id =~ /^pay_[A-Za-z0-9]{14}$/;
    my ($b, $err) = json_body($req);
    return $err if $err;
    return $err if $err = check_unknown_fields($b, qw(amount currency));
    return input_error('The amount field is required.', 'amount') unless defined $b->{amount};
    return input_error('The amount must be an integer.', 'amount') unless is_int($b->{amount});
    return input_error('The currency field is required.', 'currency') unless defined $b->{currency};
    return txn(sub {
        my ($st) = @_;
        my $p = $st->{payments}{$id} or return no_such_id();
        return error_res(400, 'This payment has already been captured', field => undef)
            if $p->{status} eq 'captured' || $p->{status} eq 'refunded';
        return error_res(400, 'Only payments which have been authorized and not yet captured can be captured')
            unless $p->{status} eq 'authorized';
        return input_error('Capture amount must be equal to the amount authorized.', 'amount')
            unless $b->{amount} == $p->{amount};
        my $o = $st->{orders}{ $p->{order_id} // '' };
        return error_res(400, 'Your payment has been declined as the order is already paid. Please initiate the payment with a new order.')
            if $o && $o->{status} eq 'paid';
        mark_captured($st, $p);
        return ok_res(public($p));
    });
}

sub payment_refunds {
    my ($id) = @_;
    return bad_id($id) unless $id =~ /^pay_[A-Za-z0-9]{14}$/;
    my $st = MiniHTTPD::state_read($DIR, 'state.json', \%EMPTY_STATE);
    return no_such_id() unless $st->{payments}{$id};
    my @r = sort { $a->{_seq} <=> $b->{_seq} } grep { $_->{payment_id} eq $id } values %{ $st->{refunds} };
    return ok_res(collection(map { public($_) } @r));
}

sub fetch_refund {
    my ($id) = @_;
    return bad_id($id) unless $id =~ /^rfnd_[A-Za-z0-9]{14}$/;
    my $st = MiniHTTPD::state_read($DIR, 'state.json', \%EMPTY_STATE);
    my $r = $st->{refunds}{$id} or return no_such_id();
    return ok_res(public($r));
}

sub refund_payment {
    my ($req, $id) = @_;
    return error_res(400, "$id is not a valid id.", field => 'id') unless $id =~ /^pay_[A-Za-z0-9]{14}$/;
    my $key = $req->{headers}{'x-refund-idempotency'};
    if (defined $key && $key !~ /^[A-Za-z0-9_-]{10,}$/) {
        return input_error('The X-Refund-Idempotency header must be at least 10 characters from [A-Za-z0-9_-].',
                           'X-Refund-Idempotency');
    }
    my ($b, $err) = json_body($req);
    return $err if $err;
    return $err if $err = check_unknown_fields($b, qw(amount speed notes receipt));
    if (defined $b->{amount}) {
        return input_error('The amount must be an integer.', 'amount') unless is_int($b->{amount});
        return input_error('The amount must be at least INR 1.00.', 'amount') if $b->{amount} < 100;
    }
    my $speed = $b->{speed} // 'normal';
    return input_error('The selected speed is invalid.', 'speed')
        unless jtype($speed) eq 'string' && $speed =~ /^(normal|optimum)$/;
    return $err if $err = check_notes($b->{notes});
    if (defined $b->{receipt} && jtype($b->{receipt}) ne 'string') {
        return input_error('The receipt must be a string.', 'receipt');
    }
    my $fingerprint = $MiniHTTPD::JSON->encode([$id, $b]);

    return txn(sub {
        my ($st) = @_;
        if (defined $key && (my $seen = $st->{idempotency}{$key})) {
            return error_res(400, 'Different request body sent for the same idempotency key',
                             field => 'X-Refund-Idempotency')
                unless $seen->{fingerprint} eq $fingerprint;
            return ok_res(public($st->{refunds}{ $seen->{refund_id} }));
        }
        my $p = $st->{payments}{$id} or return no_such_id();
        return error_res(400, 'The payment has been fully refunded already.')
            if $p->{status} eq 'refunded' || ($p->{refund_status} // '') eq 'full';
        return error_res(400, 'The payment has not been captured yet, so it cannot be refunded.')
            unless $p->{status} eq 'captured';
        my $left = $p->{amount} - $p->{amount_refunded};
        my $amount = defined $b->{amount} ? 0 + $b->{amount} : $left;
        return input_error('The refund amount provided is greater than amount captured.', 'amount')
            if $amount > $left;

        my $rid = new_id($st, 'rfnd_', 'refunds');
        my $refund = {
            id => $rid, entity => 'refund', amount => $amount, currency => $p->{currency},
            payment_id => $id, notes => notes_out($b->{notes}), receipt => $b->{receipt},
            acquirer_data => { arn => undef }, created_at => time, batch_id => undef,
            status => $st->{settings}{refund_status} // 'processed', speed_processed => 'normal', speed_requested => $speed,
            _seq => ++$st->{seq},
        };
        $st->{refunds}{$rid} = $refund;
        $p->{amount_refunded} = $p->{amount_refunded} + $amount;
        if ($p->{amount_refunded} >= $p->{amount}) {
            $p->{refund_status} = 'full';
            $p->{status} = 'refunded';
        }
        else {
            $p->{refund_status} = 'partial';
        }
        $st->{idempotency}{$key} = { fingerprint => $fingerprint, refund_id => $rid } if defined $key;
        return ok_res(public($refund));
    });
}

# ------------------------------------------------------------------ control endpoints

sub control {
    my ($req) = @_;
    my ($m, $p) = ($req->{method}, $req->{path});
    if ($m eq 'GET' && $p eq '/_fake/requests') {
        return ok_res(MiniHTTPD::log_read($DIR, 'requests.jsonl'));
    }
    if ($m eq 'GET' && $p eq '/_fake/state') {
        return ok_res(MiniHTTPD::state_read($DIR, 'state.json', \%EMPTY_STATE));
    }
    if ($m eq 'POST' && $p eq '/_fake/reset') {
        txn(sub { %{ $_[0] } = %{ $MiniHTTPD::JSON->decode($MiniHTTPD::JSON->encode(\%EMPTY_STATE)) } });
        MiniHTTPD::state_txn($DIR, 'faults.json', [], sub { @{ $_[0] } = () });
        MiniHTTPD::log_clear($DIR, 'requests.jsonl');
        return ok_res({ ok => $T });
    }
    my ($b, $err) = MiniHTTPD::decode_json_body($req->{body} eq '' ? '{}' : $req->{body});
    return MiniHTTPD::json_response(400, { error => "bad JSON: $err" }) if $err;
    if ($m eq 'POST' && $p eq '/_fake/fault') {
        my $why = MiniHTTPD::fault_validate($b);
        $why //= 'mode must be timeout, status or late' unless ($b->{mode} // '') =~ /^(timeout|status|late)$/;
        return MiniHTTPD::json_response(400, { error => $why }) if $why;
        return ok_res(MiniHTTPD::fault_add($DIR, $b));
    }
    if ($m eq 'POST' && $p eq '/_fake/settings') {
        return MiniHTTPD::json_response(400, { error => 'refund_status must be pending or processed' })
            if defined $b->{refund_status} && $b->{refund_status} !~ /^(pending|processed)$/;
        return ok_res(txn(sub { $_[0]{settings}{$_} = $b->{$_} for grep { defined $b->{$_} } 'refund_status'; $_[0]{settings} }));
    }
    return fake_checkout($b) if $m eq 'POST' && $p eq '/_fake/checkout';
    return fake_payment($b)  if $m eq 'POST' && $p eq '/_fake/payment';
    return MiniHTTPD::json_response(404, { error => "no such control endpoint: $m $p" });
}

sub fake_error { MiniHTTPD::json_response($_[0], { error => $_[1] }) }

sub set_failed {
    my ($p) = @_;
    $p->{status} = 'failed';
    $p->{captured} = $F;
    $p->{error_code} = 'BAD_REQUEST_ERROR';
    $p->{error_description} = 'Payment processing failed because of incorrect OTP';
    $p->{error_source} = 'customer';
    $p->{error_step} = 'payment_authentication';
    $p->{error_reason} = 'payment_failed';
}

# POST /_fake/checkout {order_id, status: captured|authorized|failed, method?, email?, contact?, full?}
sub fake_checkout {
    my ($b) = @_;
    my $status = $b->{status} // 'captured';
    return fake_error(400, 'status must be captured, authorized or failed')
        unless $status =~ /^(captured|authorized|failed)$/;
    return fake_error(400, 'order_id is required') unless defined $b->{order_id};
    return txn(sub {
        my ($st) = @_;
        my $o = $st->{orders}{ $b->{order_id} } or return error_res(400, 'The id provided does not exist', field => 'order_id');
        return error_res(400, 'Your payment has been declined as the order is already paid. Please initiate the payment with a new order.')
            if $o->{status} eq 'paid';
        return error_res(400, 'A payment on this order is already authorized; another payment is not allowed.')
            if grep { ($_->{order_id} // '') eq $o->{id} && $_->{status} eq 'authorized' } values %{ $st->{payments} };

        my $pid = new_id($st, 'pay_', 'payments');
        my $method = $b->{method} // 'upi';
        my $pay = {
            id => $pid, entity => 'payment', amount => 0 + $o->{amount}, currency => $o->{currency},
            status => 'authorized', order_id => $o->{id}, invoice_id => undef, international => $F,
            method => $method, amount_refunded => 0, refund_status => undef, captured => $F,
            description => undef, card_id => undef, bank => undef, wallet => undef,
            vpa => $method eq 'upi' ? 'success@razorpay' : undef,
            email => $b->{email} // 'customer@example.com', contact => $b->{contact} // '+919000090000',
            notes => [], fee => undef, tax => undef,
            error_code => undef, error_description => undef, error_source => undef,
            error_step => undef, error_reason => undef,
            acquirer_data => { rrn => sprintf('%012d', int rand 1e12) }, created_at => time,
            _seq => ++$st->{seq},
        };
        $st->{payments}{$pid} = $pay;
        $o->{attempts} = $o->{attempts} + 1;
        $o->{status} = 'attempted';
        if    ($status eq 'captured') { mark_captured($st, $pay) }
        elsif ($status eq 'failed')   { set_failed($pay) }
        my $res = {
            razorpay_order_id   => $o->{id},
            razorpay_payment_id => $pid,
            razorpay_signature  => hmac_sha256_hex("$o->{id}|$pid", $opt{'key-secret'}),
        };
        if ($b->{full}) { $res->{payment} = public($pay); $res->{order} = public($o) }
        return ok_res($res);
    });
}

# POST /_fake/payment {payment_id, status: authorized|captured|failed}
# e.g. failed -> authorized is Razorpay's "late authorisation".
sub fake_payment {
    my ($b) = @_;
    my $status = $b->{status} // '';
    return fake_error(400, 'status must be authorized, captured or failed')
        unless $status =~ /^(captured|authorized|failed)$/;
    return txn(sub {
        my ($st) = @_;
        my $p = $st->{payments}{ $b->{payment_id} // '' } or return fake_error(404, 'no such payment');
        if ($status eq 'captured') { mark_captured($st, $p) }
        elsif ($status eq 'failed') { set_failed($p) }
        else {
            $p->{status} = 'authorized';
            $p->{captured} = $F;
            @$p{qw(error_code error_description error_source error_step error_reason)} = ();
        }
        return ok_res({ payment => public($p), order => ($p->{order_id} ? public($st->{orders}{ $p->{order_id} }) : undef) });
    });
}

# ------------------------------------------------------------------ main

MiniHTTPD::serve_fake(dir => $DIR, port => $opt{port}, parent => $opt{parent}, handler => \&handle);
