#!/usr/bin/perl
# 90-no-500.t: nothing a client sends produces a 500. Every route of the table gets
# junk bodies, junk ids and junk query strings, as a customer, as an admin and anonymous.
use strict;
use warnings;
use Test::More;
use LaFete::Test;

my @routes = map { [split ' '] } `$ENV{LAFETE_BIN} routes`;
ok(@routes > 40, 'route table read');
my $customer = register_user()->{token};
my $admin = admin_token();

my @ids = ('not-a-uuid', '00000000-0000-0000-0000-000000000000', "'%20OR%201=1--");
my @bodies = (
    '{}', '[]', '{"a":', '{"email":1,"password":[],"phone":{},"name":null}',
    '{"variantId":"x","quantity":9223372036854775808}', '{"quantity":-1,"status":"NOPE"}',
    '{"addressId":1,"deliverySlot":"2026-13-45T99:00:00+05:30"}',
    '{"latitude":1e999,"longitude":"NaN","street":"\u0000"}', '{"basePrice":"-1.00","variants":[{}]}',
    '{"razorpay_order_id":"order_x","razorpay_payment_id":"pay_x","razorpay_signature":"00"}',
    '{"event":"payment.captured","payload":{"payment":{"entity":{"amount":1e30}}}}',
);
my @queries = ('', '?date=2026-02-30&limit=0&offset=-1', '?q=%25%5F%5C&lat=999&lng=abc',
               '?from=2030-01-01&to=2020-01-01&status=%00', '?available=maybe&url=%00&date=' . ('9' x 50));

my ($n, @bad) = (0);
for my $rt (@routes) {
    my ($method, $pattern) = @$rt;
    my $type = $pattern =~ m{^/admin/} ? 'application/x-www-form-urlencoded' : 'application/json';
    for my $id ($pattern =~ /\{/ ? @ids : ('')) {
        (my $path = $pattern) =~ s/\{[^}]+\}/$id/g;
        for my $who ($customer, $admin, undef) {
            my @tries = $method =~ /^(POST|PATCH|PUT)$/
                ? map { [ '', $_ ] } @bodies
                : map { [ $_, undef ] } @queries;
            for my $t (@tries) {
                my ($q, $body) = @$t;
                my $r = req($method, "$path$q", token => $who, defined $body ? (raw => $body, type => $type) : ());
                $n++;
                push @bad, "$method $path$q -> $r->{status}" if $r->{status} >= 500 && $r->{status} != 502 && $r->{status} != 503;
            }
        }
    }
}
cmp_ok($n, '>', 1000, "$n junk requests sent");
is(scalar @bad, 0, 'none answered 500') or diag join "\n", @bad[0 .. ($#bad < 20 ? $#bad : 20)];
is(req(GET => '/api/health')->{status}, 200, 'the service is still healthy');
done_testing;
