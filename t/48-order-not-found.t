#!/usr/bin/perl
# 48-order-not-found.t: a missing order answers 404 ORDER_NOT_FOUND "No such order" on every order route.
use strict;
use warnings;
use Test::More;
use LaFete::Test;

$ENV{FAKE_RAZORPAY_URL} or plan skip_all => 'run through script/test';

my $user = register_user();
my $admin = admin_token();
my $none = '6f1c1b2a-0000-4000-8000-000000000000';

my @routes = (
    [ GET => "/api/orders/$none", $user->{token} ],
    [ POST => "/api/orders/$none/cancel", $user->{token} ],
    [ POST => '/api/payments/create-order', $user->{token}, { orderId => $none } ],
    [ GET => "/api/admin/orders/$none", $admin ],
    [ PATCH => "/api/admin/orders/$none/status", $admin, { status => 'READY' } ],
    [ POST => "/api/admin/orders/$none/refund", $admin ],
);
for my $t (@routes) {
    my ($method, $path, $token, $json) = @$t;
    my $r = req($method => $path, token => $token, $json ? (json => $json) : ());
    is($r->{status}, 404, "$method $path: 404");
    is($r->{json}{error}{code}, 'ORDER_NOT_FOUND', "$method $path: ORDER_NOT_FOUND");
    is($r->{json}{error}{message}, 'No such order', "$method $path: the same message");
}
done_testing;
