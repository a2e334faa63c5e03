#!/usr/bin/perl
# Tests of the partner fakes themselves (t/fakes/*.pl): Razorpay, Borzo, S3, SMTP.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use HTTP::Tiny;
use JSON::PP;
use File::Temp qw(tempdir);
use Digest::SHA qw(sha256_hex);
use MIME::Base64 qw(encode_base64);
use IO::Socket::INET;
use POSIX ();
use Time::HiRes ();
use MiniHTTPD;
use FakeRazorpay qw(sign_webhook webhook_body checkout_signature);
use FakeBorzo qw(sign_callback);

my $TMP = tempdir(CLEANUP => 1);
my $FAKES = "$FindBin::Bin/fakes";
my $J = JSON::PP->new->utf8->canonical;
my $http = HTTP::Tiny->new(timeout => 5);
my @FAKES;

END { MiniHTTPD::stop($_) for @FAKES }

sub start {
    my ($script, @args) = @_;
    my $f = MiniHTTPD::spawn("$FAKES/$script", '--port', 0, @args, '--parent', $$);
    push @FAKES, $f;
    return $f;
}

sub req {
    my ($method, $url, $body, %headers) = @_;
    my $r = $http->request($method, $url, {
        headers => { 'Content-Type' => 'application/json', %headers },
        (defined $body ? (content => ref $body ? $J->encode($body) : $body) : ()),
    });
    $r->{json} = eval { $J->decode($r->{content}) } if ($r->{headers}{'content-type'} // '') =~ /json/;
    return $r;
}

# ======================================================================= Razorpay
subtest 'razorpay signature helpers match the documented test vectors' => sub {
    is sign_webhook('{"a":1,"b":2,"c":{"d":3}}', '123456'),
        '2fe04e22977002e6c7cb553adab8b460cb9e2a4970d5953cb27a8472752e3bbc', 'webhook vector 1 (NODE)';
    is checkout_signature('order_IEIaMR65cu6nz3', 'pay_IH4NVgf4Dreq1l', 'EnLs21M47BllR3X8PSFtjtbd'),
        '0d4e745a1838664ad6c9c9902212a32d627d68e917290b0ad5f08ff4561bc50f', 'checkout vector (NODE/GO/MD)';
    is checkout_signature('fake_order_id', 'fake_payment_id', 'key_secret'),
        'b2335e3b0801106b84a7faff035df56ecffde06918c9ddd1f0fafbb37a51cc89', 'checkout vector (PY)';
};

my ($KID, $KSEC) = ('rzp_test_Fake1234567890', 'fake_key_secret');
my $rzp = start('razorpay.pl', '--state', "$TMP/rzp", '--key-id', $KID, '--key-secret', $KSEC);
my $R = "http://127.0.0.1:$rzp->{port}";
my %AUTH = (Authorization => 'Basic ' . encode_base64("$KID:$KSEC", ''));
ok -s "$TMP/rzp/port", 'razorpay wrote DIR/port';

subtest 'razorpay auth' => sub {
    my $expected = { error => { code => 'BAD_REQUEST_ERROR', description => 'Authentication failed', field => undef,
                                source => 'NA', step => 'NA', reason => 'NA', metadata => {} } };
    for my $case (['no header', {}],
                  ['wrong secret', { Authorization => 'Basic ' . encode_base64("$KID:nope", '') }],
                  ['lowercase scheme', { Authorization => 'basic ' . encode_base64("$KID:$KSEC", '') }]) {
        my $r = req('POST', "$R/v1/orders", { amount => 1000, currency => 'INR' }, %{ $case->[1] });
        is $r->{status}, 401, "$case->[0]: 401";
        is_deeply $r->{json}, $expected, "$case->[0]: Razorpay error envelope";
    }
};

my $order;
subtest 'razorpay create/fetch/list orders' => sub {
    my $r = req('POST', "$R/v1/orders", { amount => 29935, currency => 'INR', receipt => 'LF-1001' }, %AUTH);
    is $r->{status}, 200, 'create 200';
    $order = $r->{json};
    like $order->{id}, qr/^order_[A-Za-z0-9]{14}$/, 'order id shape';
    like $r->{content}, qr/"amount":29935\b/, 'amount is a JSON integer';
    is_deeply [@$order{qw(entity amount amount_paid amount_due currency receipt status attempts)}],
        ['order', 29935, 0, 29935, 'INR', 'LF-1001', 'created', 0], 'order fields';
    is_deeply $order->{notes}, [], 'empty notes serialised as []';
    ok exists $order->{offer_id} && !defined $order->{offer_id}, 'offer_id null';
    like $order->{created_at}, qr/^\d+$/, 'created_at unix seconds';

    $r = req('GET', "$R/v1/orders/$order->{id}", undef, %AUTH);
    is_deeply $r->{json}, $order, 'fetch returns the same entity';
    $r = req('GET', "$R/v1/orders/order_does_not_exist", undef, %AUTH);
    is $r->{status}, 400, 'malformed id 400';
    $r = req('GET', "$R/v1/orders/order_AAAAAAAAAAAAAA", undef, %AUTH);
    is $r->{json}{error}{description}, 'The id provided does not exist', 'unknown id';

    req('POST', "$R/v1/orders", { amount => 500, currency => 'INR', receipt => 'LF-other', notes => { k => 'v' } }, %AUTH);
    $r = req('GET', "$R/v1/orders?receipt=LF-1001", undef, %AUTH);
    is $r->{json}{entity}, 'collection', 'collection';
    is $r->{json}{count}, 1, 'one order with that receipt';
    is $r->{json}{items}[0]{id}, $order->{id}, 'found by receipt';
    $r = req('GET', "$R/v1/orders?count=101", undef, %AUTH);
    is $r->{json}{error}{description}, 'The count may not be greater than 100.', 'count max 100';
};

subtest 'razorpay create order validation' => sub {
    my @cases = (
        [{ currency => 'INR' }, 'amount', qr/amount field is required/],
        [{ amount => 99, currency => 'INR' }, 'amount', qr/at least INR 1\.00/],
        [{ amount => 100.5, currency => 'INR' }, 'amount', qr/must be an integer/],
        [{ amount => '1000', currency => 'INR' }, 'amount', qr/must be an integer/],
        [{ amount => 1000 }, 'currency', qr/currency field is required/],
        [{ amount => 1000, currency => 123 }, 'currency', qr/expected string but provided 123/],
        [{ amount => 1000, currency => 'INR', receipt => 'x' x 41 }, 'receipt', qr/40 characters/],
        [{ amount => 1000, currency => 'INR', notes => { map { ("k$_" => 'v') } 1 .. 16 } }, 'notes', qr/15/],
        [{ amount => 1000, currency => 'INR', notes => { k => 'v' x 257 } }, 'notes', qr/256/],
        [{ amount => 1000, currency => 'INR', color => 'red' }, 'color', qr/is\/are not required and should not be sent/],
    );
    for my $c (@cases) {
        my $r = req('POST', "$R/v1/orders", $c->[0], %AUTH);
        is $r->{status}, 400, "400 for $c->[1]";
        is $r->{json}{error}{code}, 'BAD_REQUEST_ERROR', 'code';
        is $r->{json}{error}{field}, $c->[1], 'field';
        like $r->{json}{error}{description}, $c->[2], 'description';
    }
    my $r = req('POST', "$R/v1/orders", { amount => 100, currency => 'INR' }, %AUTH);
    is $r->{status}, 200, 'amount 100 accepted';
};

my $pay;
subtest 'razorpay checkout, payments' => sub {
    my $r = req('POST', "$R/_fake/checkout", { order_id => $order->{id}, status => 'failed' });
    is $r->{status}, 200, 'failed attempt';
    my $failed_id = $r->{json}{razorpay_payment_id};
    $r = req('POST', "$R/_fake/checkout", { order_id => $order->{id}, status => 'captured' });
    is $r->{status}, 200, 'captured attempt';
    is_deeply [sort keys %{ $r->{json} }], [qw(razorpay_order_id razorpay_payment_id razorpay_signature)], 'three fields';
    my $cb = $r->{json};
    is $cb->{razorpay_signature}, checkout_signature($order->{id}, $cb->{razorpay_payment_id}, $KSEC), 'signature';

    $r = req('GET', "$R/v1/orders/$order->{id}", undef, %AUTH);
    is_deeply [@{ $r->{json} }{qw(status amount_paid amount_due attempts)}], ['paid', 29935, 0, 2], 'order paid';

    $r = req('GET', "$R/v1/orders/$order->{id}/payments", undef, %AUTH);
    is $r->{json}{count}, 2, 'two payments on the order';
    is_deeply [map { $_->{status} } @{ $r->{json}{items} }], ['failed', 'captured'], 'in attempt order';
    is $r->{json}{items}[0]{id}, $failed_id, 'failed one first';
    is $r->{json}{items}[0]{error_reason}, 'payment_failed', 'failed payment carries error_*';

    $r = req('GET', "$R/v1/payments/$cb->{razorpay_payment_id}", undef, %AUTH);
    $pay = $r->{json};
    is_deeply [@$pay{qw(entity status amount currency order_id amount_refunded)}],
        ['payment', 'captured', 29935, 'INR', $order->{id}, 0], 'payment entity';
    ok $pay->{captured}, 'captured true';
    ok !defined $pay->{refund_status}, 'refund_status null';

    $r = req('POST', "$R/_fake/checkout", { order_id => $order->{id}, status => 'captured' });
    is $r->{status}, 400, 'no payment on a paid order';
    like $r->{json}{error}{description}, qr/already paid/, 'already paid';
    $r = req('GET', "$R/v1/payments/pay_AAAAAAAAAAAAAA", undef, %AUTH);
    is $r->{status}, 400, 'unknown payment 400';
};

subtest 'razorpay refunds' => sub {
    my $url = "$R/v1/payments/$pay->{id}/refund";
    my $key = 'refund-key-0001';
    my $r = req('POST', $url, { amount => 10000 }, %AUTH, 'X-Refund-Idempotency' => $key);
    is $r->{status}, 200, 'partial refund';
    my $refund = $r->{json};
    like $refund->{id}, qr/^rfnd_[A-Za-z0-9]{14}$/, 'refund id';
    is_deeply [@$refund{qw(entity amount currency payment_id status speed_requested speed_processed)}],
        ['refund', 10000, 'INR', $pay->{id}, 'processed', 'normal', 'normal'], 'refund entity';
    is_deeply $refund->{acquirer_data}, { arn => undef }, 'acquirer_data';
    ok exists $refund->{batch_id} && exists $refund->{receipt}, 'batch_id and receipt present';

    $r = req('POST', $url, { amount => 10000 }, %AUTH, 'X-Refund-Idempotency' => $key);
    is $r->{status}, 200, 'retry with same key and body';
    is $r->{json}{id}, $refund->{id}, 'same refund returned';
    $r = req('POST', $url, { amount => 20000 }, %AUTH, 'X-Refund-Idempotency' => $key);
    is $r->{status}, 400, 'same key, different body: 400';
    $r = req('POST', $url, { amount => 100 }, %AUTH, 'X-Refund-Idempotency' => 'short');
    is $r->{status}, 400, 'key shorter than 10 chars: 400';
    $r = req('POST', $url, { amount => 100 }, %AUTH, 'X-Refund-Idempotency' => 'bad key with spaces');
    is $r->{status}, 400, 'key with bad chars: 400';

    $r = req('GET', "$R/v1/payments/$pay->{id}", undef, %AUTH);
    is_deeply [@{ $r->{json} }{qw(status amount_refunded refund_status)}], ['captured', 10000, 'partial'], 'partial state';

    $r = req('POST', $url, { amount => 50000 }, %AUTH);
    like $r->{json}{error}{description}, qr/greater than amount captured/, 'too much';
    $r = req('POST', $url, { amount => 99 }, %AUTH);
    like $r->{json}{error}{description}, qr/at least INR 1\.00/, 'too little';
    $r = req('POST', $url, { amount => 1, speed => 'fast' }, %AUTH);
    is $r->{status}, 400, 'bad amount/speed';
    $r = req('POST', $url, { foo => 1 }, %AUTH);
    like $r->{json}{error}{description}, qr/foo is\/are not required/, 'unknown field';

    $r = req('POST', $url, undef, %AUTH);
    is $r->{status}, 200, 'full refund of the rest (no amount)';
    is $r->{json}{amount}, 19935, 'remaining amount';
    $r = req('GET', "$R/v1/payments/$pay->{id}", undef, %AUTH);
    is_deeply [@{ $r->{json} }{qw(status amount_refunded refund_status)}], ['refunded', 29935, 'full'], 'full state';
    $r = req('GET', "$R/v1/orders/$order->{id}", undef, %AUTH);
    is $r->{json}{status}, 'paid', 'order stays paid after refund';
    $r = req('POST', $url, undef, %AUTH);
    like $r->{json}{error}{description}, qr/fully refunded already/, 'already fully refunded';
    $r = req('POST', "$R/v1/payments/nonsense/refund", undef, %AUTH);
    like $r->{json}{error}{description}, qr/nonsense is not a valid id/, 'invalid payment id';
    $r = req('GET', "$R/v1/payments/$pay->{id}/refunds", undef, %AUTH);
    is $r->{json}{count}, 2, 'refund list';
};

subtest 'razorpay webhook helpers' => sub {
    my $body = webhook_body(event => 'order.paid', payment => $pay, order => $order);
    my $ev = $J->decode($body);
    is $ev->{entity}, 'event', 'entity event';
    is_deeply $ev->{contains}, ['payment', 'order'], 'contains';
    is $ev->{payload}{payment}{entity}{id}, $pay->{id}, 'payload.payment.entity';
    is $ev->{payload}{order}{entity}{id}, $order->{id}, 'payload.order.entity';
    is sign_webhook($body, 'whsec'), Digest::SHA::hmac_sha256_hex($body, 'whsec'), 'signature over raw bytes';
    $ev = $J->decode(webhook_body(event => 'payment.captured', payment => $pay));
    is_deeply $ev->{contains}, ['payment'], 'payment event contains payment only';
};

subtest 'razorpay late authorisation control' => sub {
    my $o = req('POST', "$R/v1/orders", { amount => 2000, currency => 'INR' }, %AUTH)->{json};
    my $c = req('POST', "$R/_fake/checkout", { order_id => $o->{id}, status => 'failed' })->{json};
    my $r = req('POST', "$R/_fake/payment", { payment_id => $c->{razorpay_payment_id}, status => 'authorized' });
    is $r->{json}{payment}{status}, 'authorized', 'failed -> authorized';
    $r = req('POST', "$R/v1/payments/$c->{razorpay_payment_id}/capture", { amount => 2000, currency => 'INR' }, %AUTH);
    is $r->{json}{status}, 'captured', 'captured through the API';
    is req('GET', "$R/v1/orders/$o->{id}", undef, %AUTH)->{json}{status}, 'paid', 'order paid';
};

subtest 'razorpay faults, request log, reset' => sub {
    my $r = req('POST', "$R/_fake/fault", { match => '^GET /v1/orders/', mode => 'status', status => 503, count => 1 });
    is $r->{status}, 200, 'fault armed';
    $r = req('GET', "$R/v1/orders/$order->{id}", undef, %AUTH);
    is $r->{status}, 503, 'faulted request: 503';
    is $r->{json}{error}{code}, 'SERVER_ERROR', 'SERVER_ERROR envelope';
    $r = req('GET', "$R/v1/orders/$order->{id}", undef, %AUTH);
    is $r->{status}, 200, 'count 1: next request is fine';

    req('POST', "$R/_fake/fault", { match => '^POST /v1/orders$', mode => 'timeout', delay_ms => 1500, count => 1 });
    my $t0 = time;
    $r = HTTP::Tiny->new(timeout => 1)->post("$R/v1/orders", { content => '{}', headers => \%AUTH });
    is $r->{status}, 599, 'timeout fault: client times out';
    $r = req('POST', "$R/_fake/fault", { match => '(', mode => 'status' });
    is $r->{status}, 400, 'bad fault regex refused';

    # late: the order is made, its answer held; with drop the answer never comes
    req('POST', "$R/_fake/fault", { match => '^POST /v1/orders$', mode => 'late', delay_ms => 600, count => 1 });
    my $t1 = Time::HiRes::time();
    $r = req('POST', "$R/v1/orders", { amount => 1000, currency => 'INR', receipt => 'late-1' }, %AUTH);
    is $r->{status}, 200, 'late: the usual answer';
    cmp_ok Time::HiRes::time() - $t1, '>=', 0.55, 'late: after the delay';
    req('POST', "$R/_fake/fault", { match => '^POST /v1/orders$', mode => 'late', delay_ms => 100, drop => JSON::PP::true });
    $r = req('POST', "$R/v1/orders", { amount => 1000, currency => 'INR', receipt => 'late-2' }, %AUTH);
    is $r->{status}, 599, 'late + drop: no answer';
    is req('GET', "$R/v1/orders?receipt=late-2", undef, %AUTH)->{json}{count}, 1, 'late + drop: the order was made all the same';

    # refunds answered pending on request
    is req('POST', "$R/_fake/settings", { refund_status => 'later' })->{status}, 400, 'a bad refund_status refused';
    is req('POST', "$R/_fake/settings", { refund_status => 'pending' })->{json}{refund_status}, 'pending', 'refunds answer pending';

    $r = req('GET', "$R/_fake/requests");
    my @log = @{ $r->{json} };
    ok @log > 10, 'requests logged';
    is_deeply [@{ $log[0] }{qw(method path)}], ['POST', '/v1/orders'], 'first request logged first';
    like $log[0]{body}, qr/"amount"/, 'body logged';
    ok exists $log[0]{headers}{host} && $log[0]{at} > 0, 'headers and time logged';
    ok !(grep { $_->{path} =~ m{^/_fake/} } @log), 'control calls not logged';

    {
        my $o = req('POST', "$R/v1/orders", { amount => 1000, currency => 'INR', receipt => 'pending-refund' }, %AUTH)->{json};
        my $c = req('POST', "$R/_fake/checkout", { order_id => $o->{id}, status => 'captured' })->{json};
        my $rf = req('POST', "$R/v1/payments/$c->{razorpay_payment_id}/refund", { amount => 100 }, %AUTH,
                     'X-Refund-Idempotency' => 'pending-refund-1');
        is $rf->{json}{status}, 'pending', 'a refund made now is pending';
    }
    is req('POST', "$R/_fake/reset")->{status}, 200, 'reset';
    is_deeply req('GET', "$R/_fake/requests")->{json}, [], 'log empty after reset';
    is req('GET', "$R/v1/orders/$order->{id}", undef, %AUTH)->{status}, 400, 'orders gone after reset';
};

# ======================================================================= Borzo
my $TOKEN = 'borzo-test-token';
my $bz = start('borzo.pl', '--state', "$TMP/borzo", '--token', $TOKEN);
my $B = "http://127.0.0.1:$bz->{port}/api/business/1.6";
my $BF = "http://127.0.0.1:$bz->{port}/_fake";
my %BAUTH = ('X-DV-Auth-Token' => $TOKEN);
my @KITCHEN = (12.9716, 77.5946);
my @HOME = (12.9352, 77.6245);

sub borzo_payload {
    my (%o) = @_;
    return {
        type => 'standard', matter => 'Fragile Cake', vehicle_type_id => 7, insurance_amount => '1500.00',
        total_weight_kg => 2,
        points => [
            { address => 'La Fete 365 kitchen', latitude => $KITCHEN[0], longitude => $KITCHEN[1],
              contact_person => { phone => '919000000001', name => 'Kitchen' } },
            { address => '12 MG Road', latitude => "$HOME[0]", longitude => "$HOME[1]", client_order_id => 'LF-42',
              contact_person => { phone => '919000000002', name => 'Asha' }, note => 'Ring twice' },
        ],
        %o,
    };
}

sub km {
    my ($la1, $lo1, $la2, $lo2) = @_;
    my $r = 3.14159265358979 / 180;
    my $a = sin(($la2 - $la1) * $r / 2)**2 + cos($la1 * $r) * cos($la2 * $r) * sin(($lo2 - $lo1) * $r / 2)**2;
    return 6371.0088 * 2 * atan2(sqrt($a), sqrt(1 - $a));
}
my $PRICE = sprintf '%.2f', 40 + 12 * km(@KITCHEN, @HOME);

subtest 'borzo auth and routing' => sub {
    my $r = req('POST', "$B/calculate-order", borzo_payload());
    is $r->{status}, 400, 'no token: 400';
    is_deeply $r->{json}{errors}, ['required_auth_token'], 'required_auth_token';
    $r = req('POST', "$B/calculate-order", borzo_payload(), 'X-DV-Auth-Token' => 'wrong');
    is_deeply [$r->{status}, $r->{json}], [400, { is_successful => JSON::PP::false, errors => ['invalid_auth_token'], parameter_errors => undef }],
        'wrong token: invalid_auth_token';
    $r = req('GET', $B, undef, %BAUTH);
    ok $r->{json}{is_successful}, 'GET base with token';
    $r = req('GET', "$B/create-order", undef, %BAUTH);
    is_deeply $r->{json}{errors}, ['required_method_post'], 'GET on a POST method';
    $r = req('POST', "$B/nope", {}, %BAUTH);
    is_deeply $r->{json}{errors}, ['invalid_api_method'], 'unknown method';
    $r = req('POST', "$B/create-order", '{not json', %BAUTH);
    is_deeply $r->{json}{errors}, ['invalid_post_json'], 'bad JSON';
};

subtest 'borzo calculate-order' => sub {
    my $r = req('POST', "$B/calculate-order", borzo_payload(), %BAUTH);
    is $r->{status}, 200, 'calculate 200';
    ok $r->{json}{is_successful}, 'is_successful';
    my $o = $r->{json}{order};
    ok !defined $o->{order_id} && !defined $o->{status}, 'quote: order_id and status null';
    is $o->{payment_amount}, $PRICE, "price 40 + 12/km = $PRICE";
    like $r->{content}, qr/"payment_amount":"\d+\.\d\d"/, 'money is a 2-decimal string';
    is $o->{insurance_amount}, '1500.00', 'insurance echoed';
    ok !defined $o->{points}[1]{tracking_url} && !defined $o->{points}[1]{point_id}, 'no tracking_url/point_id';
    is_deeply $r->{json}{warnings}, [], 'no warnings';

    my $p = borzo_payload();
    delete $_->{contact_person} for @{ $p->{points} };
    $r = req('POST', "$B/calculate-order", $p, %BAUTH);
    is $r->{status}, 200, 'calculate without phones still 200';
    is_deeply $r->{json}{warnings}, ['invalid_parameters'], 'warning';
    is_deeply $r->{json}{parameter_warnings}{points}[0], { contact_person => { phone => ['required'] } }, 'parameter_warnings shape';
};

subtest 'borzo validation errors' => sub {
    my @cases = (
        ['phone missing on create', sub { delete $_[0]{points}[1]{contact_person}{phone} },
         sub { $_[0]{points}[1]{contact_person}{phone} }, ['required']],
        ['phone with +', sub { $_[0]{points}[0]{contact_person}{phone} = '+919000000001' },
         sub { $_[0]{points}[0]{contact_person}{phone} }, ['invalid_phone']],
        ['vehicle_type_id as string', sub { $_[0]{vehicle_type_id} = '7' }, sub { $_[0]{vehicle_type_id} }, ['invalid_integer']],
        ['insurance_amount as number', sub { $_[0]{insurance_amount} = 1500 }, sub { $_[0]{insurance_amount} }, ['invalid_string']],
        ['insurance_amount bad format', sub { $_[0]{insurance_amount} = '15,00' }, sub { $_[0]{insurance_amount} }, ['invalid_float']],
        ['total_weight_kg float', sub { $_[0]{total_weight_kg} = 1.5 }, sub { $_[0]{total_weight_kg} }, ['invalid_integer']],
        ['matter missing', sub { delete $_[0]{matter} }, sub { $_[0]{matter} }, ['required']],
        ['one point', sub { splice @{ $_[0]{points} }, 1 }, sub { $_[0]{points} }, ['min_size']],
        ['address missing', sub { delete $_[0]{points}[0]{address} }, sub { $_[0]{points}[0]{address} }, ['required']],
        ['client_order_id too long', sub { $_[0]{points}[1]{client_order_id} = 'x' x 33 },
         sub { $_[0]{points}[1]{client_order_id} }, ['max_length']],
        ['unknown field', sub { $_[0]{vehicle} = 'car' }, sub { $_[0]{vehicle} }, ['unknown']],
    );
    for my $c (@cases) {
        my $p = borzo_payload();
        $c->[1]->($p);
        my $r = req('POST', "$B/create-order", $p, %BAUTH);
        is $r->{status}, 400, "$c->[0]: 400";
        is_deeply $r->{json}{errors}, ['invalid_parameters'], "$c->[0]: invalid_parameters";
        ok !$r->{json}{is_successful}, "$c->[0]: is_successful false";
        is_deeply $c->[2]->($r->{json}{parameter_errors} // {}), $c->[3], "$c->[0]: parameter_errors mirror the request";
    }
    is_deeply req('GET', "$BF/state")->{json}{orders}, {}, 'nothing was created by the failed calls';
};

my $bo;
subtest 'borzo create-order, orders, courier' => sub {
    req('POST', "$BF/reset");
    my $r = req('POST', "$B/create-order", borzo_payload(), %BAUTH);
    is $r->{status}, 200, 'create 200';
    $bo = $r->{json}{order};
    like $r->{content}, qr/"order_id":\d+[,}]/, 'order_id is an integer';
    is_deeply [@$bo{qw(status status_description vehicle_type_id payment_amount matter total_weight_kg)}],
        ['new', 'Created', 7, $PRICE, 'Fragile Cake', 2], 'order fields';
    is $bo->{order_name}, "$bo->{order_id}", 'order_name string';
    my $drop = $bo->{points}[1];
    is $drop->{client_order_id}, 'LF-42', 'client_order_id echoed';
    like $drop->{point_id}, qr/^\d+$/, 'point_id';
    is $drop->{tracking_url}, "https://track.borzo.test/$bo->{order_id}/$drop->{point_id}", 'tracking_url';
    is $drop->{latitude}, "$HOME[0]", 'coordinates as strings';
    like $drop->{estimated_arrival_datetime}, qr/\+05:30$/, 'IST datetimes';
    ok !defined $bo->{courier}, 'courier null';

    my $second = req('POST', "$B/create-order", borzo_payload(), %BAUTH)->{json}{order};

    $r = req('GET', "$B/orders?order_id=$bo->{order_id}", undef, %BAUTH);
    is $r->{json}{orders_count}, 1, 'one order by id';
    is_deeply $r->{json}{orders}[0], $bo, 'same order object';
    $r = req('GET', "$B/orders?order_id=$bo->{order_id}&order_id=$second->{order_id}", undef, %BAUTH);
    is $r->{json}{orders_count}, 2, 'several ids';
    my $from = MiniHTTPD::iso_time(time - 3600, 330);
    $from =~ s/\+/%2B/;
    $r = req('GET', "$B/orders?created_datetime_from=$from", undef, %BAUTH);
    my @mine = grep { grep { ($_->{client_order_id} // '') eq 'LF-42' } @{ $_->{points} } } @{ $r->{json}{orders} };
    is scalar @mine, 2, 'all orders since a time; findable by points[].client_order_id';
    $r = req('GET', "$B/orders?created_datetime_from=yesterday", undef, %BAUTH);
    is_deeply $r->{json}{parameter_errors}, { created_datetime_from => ['invalid_date_format'] }, 'bad date';
    $r = req('GET', "$B/orders?count=51", undef, %BAUTH);
    is_deeply $r->{json}{parameter_errors}, { count => ['max_value'] }, 'count max 50';

    $r = req('GET', "$B/courier?order_id=$bo->{order_id}", undef, %BAUTH);
    ok $r->{json}{is_successful} && exists $r->{json}{courier} && !defined $r->{json}{courier}, 'no courier yet';

    $r = req('POST', "$B/cancel-order", { order_id => $second->{order_id} }, %BAUTH);
    is $r->{json}{order}{status}, 'canceled', 'cancel a new order';
    $r = req('POST', "$B/cancel-order", { order_id => $second->{order_id} }, %BAUTH);
    is_deeply $r->{json}{errors}, ['order_cannot_be_canceled'], 'cannot cancel twice';
    $r = req('POST', "$B/cancel-order", { order_id => 999 }, %BAUTH);
    is_deeply $r->{json}{parameter_errors}, { order_id => ['invalid_order'] }, 'unknown order';
};

subtest 'borzo advance and callbacks' => sub {
    my $r = req('POST', "$BF/advance", { order_id => $bo->{order_id}, status => 'available' });
    my $cb = $r->{json};
    is $cb->{event_type}, 'order_changed', 'order_changed';
    like $cb->{event_datetime}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+05:30$/, 'event_datetime';
    is $cb->{order}{status}, 'available', 'order in callback';
    is sign_callback($r->{content}, 'cbsecret'), Digest::SHA::hmac_sha256_hex($r->{content}, 'cbsecret'), 'sign_callback';

    $r = req('POST', "$BF/advance", { order_id => $bo->{order_id}, delivery_status => 'courier_assigned',
                                      courier => { name => 'Vikram', phone => '919811111111' } });
    $cb = $r->{json};
    is $cb->{event_type}, 'delivery_changed', 'delivery_changed';
    is_deeply [@{ $cb->{delivery} }{qw(status order_id client_order_id)}], ['courier_assigned', $bo->{order_id}, 'LF-42'], 'delivery';
    is $cb->{delivery}{courier}{name}, 'Vikram', 'courier in delivery callback';
    $r = req('POST', "$BF/advance", { order_id => $bo->{order_id}, status => 'active' });
    is $r->{json}{order}{courier}{phone}, '919811111111', 'courier on the order';
    $r = req('GET', "$B/courier?order_id=$bo->{order_id}", undef, %BAUTH);
    is $r->{json}{courier}{name}, 'Vikram', 'GET /courier';

    $r = req('POST', "$BF/advance", { order_id => $bo->{order_id}, delivery_status => 'parcel_picked_up' });
    is $r->{json}{delivery}{status}, 'parcel_picked_up', 'picked up';
    $r = req('POST', "$B/cancel-order", { order_id => $bo->{order_id} }, %BAUTH);
    is_deeply $r->{json}{errors}, ['order_cannot_be_canceled'], 'no cancel after the courier visited the pickup';
    $r = req('POST', "$BF/advance", { order_id => $bo->{order_id}, delivery_status => 'finished' });
    is $r->{json}{delivery}{status}, 'finished', 'finished';
    $r = req('POST', "$BF/advance", { order_id => $bo->{order_id}, status => 'completed' });
    is $r->{json}{order}{status}, 'completed', 'completed';
    is req('POST', "$BF/advance", { order_id => $bo->{order_id}, status => 'flying' })->{status}, 400, 'bad status refused';
};

subtest 'borzo faults, request log, reset' => sub {
    req('POST', "$BF/fault", { match => 'create-order', mode => 'unsuccessful', errors => ['insufficient_balance'], count => 1 });
    my $r = req('POST', "$B/create-order", borzo_payload(), %BAUTH);
    is $r->{status}, 400, 'unsuccessful: 400';
    is_deeply $r->{json}, { is_successful => JSON::PP::false, errors => ['insufficient_balance'], parameter_errors => undef }, 'given errors';
    req('POST', "$BF/fault", { match => 'calculate-order', mode => 'status', status => 503, count => 2 });
    is req('POST', "$B/calculate-order", borzo_payload(), %BAUTH)->{status}, 503, '503 #1';
    is req('POST', "$B/calculate-order", borzo_payload(), %BAUTH)->{status}, 503, '503 #2';
    is req('POST', "$B/calculate-order", borzo_payload(), %BAUTH)->{status}, 200, 'then fine';
    req('POST', "$BF/fault", { match => '^GET ', mode => 'timeout', delay_ms => 1200, count => -1 });
    my $slow = HTTP::Tiny->new(timeout => 1);
    is $slow->get("$B/orders", { headers => \%BAUTH })->{status}, 599, 'timeout';
    is $slow->get("$B/orders", { headers => \%BAUTH })->{status}, 599, 'count -1: still';
    req('POST', "$BF/reset");
    req('POST', "$BF/fault", { match => 'create-order', mode => 'late', delay_ms => 500 });
    my $t0 = Time::HiRes::time();
    $r = req('POST', "$B/create-order", borzo_payload(), %BAUTH);
    ok $r->{json}{order}{order_id} && Time::HiRes::time() - $t0 >= 0.45, 'late: the order, after the delay';
    is req('GET', "$B/orders", undef, %BAUTH)->{json}{orders_count}, 1, 'late: made once';
    is req('POST', "$BF/fault", { match => 'x', mode => 'sideways' })->{status}, 400, 'an unknown mode refused';
    req('GET', "$B/orders", undef, %BAUTH);
    my $log = req('GET', "$BF/requests")->{json};
    is $log->[-1]{method}, 'GET', 'log has the last request';
    is $log->[-1]{headers}{'x-dv-auth-token'}, $TOKEN, 'headers logged';
    req('POST', "$BF/reset");
    is req('GET', "$B/orders", undef, %BAUTH)->{json}{orders_count}, 0, 'reset clears faults and orders';
};

# ======================================================================= S3
SKIP: {
    skip 'curl not installed', 1 unless system('curl --version >/dev/null 2>&1') == 0;
    my ($AK, $SK, $REGION) = ('AKIDFAKE', 'fake/secret+key', 'ap-south-1');
    my $s3 = start('s3.pl', '--state', "$TMP/s3", '--access-key', $AK, '--secret-key', $SK, '--region', $REGION);
    my $S = "http://127.0.0.1:$s3->{port}";
    my $file = "$TMP/cake.jpg";
    open my $fh, '>:raw', $file or die;
    print $fh join '', map { chr(($_ * 7) % 256) } 1 .. 5000;
    close $fh;
    my $sha = sha256_hex(do { local $/; open my $f, '<:raw', $file; <$f> });

    my $curl = sub {
        my ($user, $url, @extra) = @_;
        my $out = `curl -s -o $TMP/curl.out -w '%{http_code}' --aws-sigv4 'aws:amz:$REGION:s3' --user '$user' @extra -T $file '$url'`;
        my $body = do { local $/; open my $f, '<:raw', "$TMP/curl.out" or return ($out, ''); <$f> } // '';
        return ($out, $body);
    };

    subtest 's3 SigV4 uploads' => sub {
        my ($code, $body) = $curl->("$AK:$SK", "$S/images/cakes/choco%20cake.jpg", q{-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD'});
        is $code, 200, 'signed PUT (UNSIGNED-PAYLOAD) stored';
        my $r = $http->get("$S/images/cakes/choco%20cake.jpg");
        is $r->{status}, 200, 'GET 200';
        is sha256_hex($r->{content}), $sha, 'same bytes back';

        ($code) = $curl->("$AK:$SK", "$S/images/b.jpg", "-H 'x-amz-content-sha256: $sha' -H 'Content-Type: image/jpeg'");
        is $code, 200, 'signed PUT with payload hash';
        is $http->get("$S/images/b.jpg")->{headers}{'content-type'}, 'image/jpeg', 'content type kept';

        ($code, $body) = $curl->("$AK:wrong", "$S/images/c.jpg", q{-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD'});
        is $code, 403, 'wrong secret: 403';
        like $body, qr{<Code>SignatureDoesNotMatch</Code>}, 'SignatureDoesNotMatch';
        is $http->get("$S/images/c.jpg")->{status}, 404, 'not stored';

        ($code, $body) = $curl->("$AK:$SK", "$S/images/d.jpg");
        is $code, 400, 'no x-amz-content-sha256: 400';
        like $body, qr/x-amz-content-sha256/, 'says which header';

        ($code, $body) = $curl->("$AK:$SK", "$S/images/e.jpg", "-H 'x-amz-content-sha256: " . ('0' x 64) . "'");
        is $code, 400, 'payload hash mismatch: 400';
        like $body, qr/XAmzContentSHA256Mismatch/, 'XAmzContentSHA256Mismatch';

        ($code) = $curl->("OTHERKEY:$SK", "$S/images/f.jpg", q{-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD'});
        is $code, 403, 'unknown access key: 403';
        my $out = `curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 'aws:amz:eu-west-1:s3' --user '$AK:$SK' -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -T $file '$S/images/g.jpg'`;
        is $out, 400, 'wrong region: 400';
        $r = $http->request('PUT', "$S/images/h.jpg", { content => 'x' });
        is $r->{status}, 403, 'unsigned PUT: 403';
        is $http->get("$S/images/nope.jpg")->{status}, 404, 'missing key: 404';

        my $log = $J->decode($http->get("$S/_fake/requests")->{content});
        my ($first) = grep { $_->{method} eq 'PUT' } @$log;
        is $first->{body_length}, 5000, 'log: body length';
        is $first->{body_sha256}, $sha, 'log: body sha256';
        ok !exists $first->{body}, 'log: no body';
        like $first->{headers}{authorization}, qr/^AWS4-HMAC-SHA256 Credential=\Q$AK\E\//, 'log: headers';
    };
}

# ======================================================================= SMTP
SKIP: {
    skip 'curl not installed', 1 unless system('curl --version >/dev/null 2>&1') == 0;
    my $mail = start('smtp.pl', '--dir', "$TMP/mail");
    subtest 'smtp sink' => sub {
        my $msg = "From: shop\@lafete.test\r\nTo: asha\@example.com\r\nSubject: Order confirmed\r\n\r\nHello\r\n.\r\n..twodots\r\nBye\r\n";
        open my $fh, '>:raw', "$TMP/msg.txt" or die;
        print $fh $msg;
        close $fh;
        my $rc = system("curl -s smtp://127.0.0.1:$mail->{port} --mail-from shop\@lafete.test "
                      . "--mail-rcpt asha\@example.com --mail-rcpt copy\@example.com -T $TMP/msg.txt");
        is $rc, 0, 'curl sent the mail';
        ok -e "$TMP/mail/1.json", '1.json written';
        my $env = $J->decode(do { local $/; open my $f, '<', "$TMP/mail/1.json"; <$f> });
        is $env->{mail_from}, 'shop@lafete.test', 'MAIL FROM';
        is_deeply $env->{rcpt_to}, ['asha@example.com', 'copy@example.com'], 'RCPT TO';
        my $eml = do { local $/; open my $f, '<:raw', "$TMP/mail/1.eml"; <$f> };
        is $eml, $msg, 'message stored intact (dot-unstuffed)';

        # Speak SMTP by hand: sequence errors, RSET, NOOP, QUIT.
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $mail->{port}) or die;
        my $say = sub { print $s "$_[0]\r\n" if defined $_[0]; my $l = <$s>; $l = <$s> while $l =~ /^\d\d\d-/; return $l };
        like $say->(undef), qr/^220 /, 'greeting';
        like $say->('MAIL FROM:<a@x>'), qr/^503 /, 'MAIL before HELO: 503';
        like $say->('EHLO test'), qr/^250 /, 'EHLO';
        like $say->('RCPT TO:<b@y>'), qr/^503 /, 'RCPT before MAIL: 503';
        like $say->('MAIL FROM:<a@x>'), qr/^250 /, 'MAIL';
        like $say->('RSET'), qr/^250 /, 'RSET';
        like $say->('DATA'), qr/^503 /, 'DATA after RSET: 503';
        like $say->('NOOP'), qr/^250 /, 'NOOP';
        like $say->('QUIT'), qr/^221 /, 'QUIT';
        close $s;
    };
}

# ======================================================================= lifecycle
subtest 'a fake exits when the process that started it dies' => sub {
    pipe my $rd, my $wr or die;
    my $child = fork // die;
    if (!$child) {
        close $rd;
        my $f = MiniHTTPD::spawn("$FAKES/razorpay.pl", '--port', 0, '--state', "$TMP/orphan");
        print $wr "$f->{port}\n";
        close $wr;
        sleep 30;
        POSIX::_exit(0);
    }
    close $wr;
    chomp(my $port = <$rd>);
    ok(IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port), 'fake is up');
    kill 'KILL', $child;
    waitpid $child, 0;
    my $gone;
    for (1 .. 40) {
        select undef, undef, undef, 0.1;
        if (!IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port)) { $gone = 1; last }
    }
    ok $gone, 'fake stopped listening after its parent was killed';
};

done_testing;
