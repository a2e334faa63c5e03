#!/usr/bin/perl
# 10-foundation.t: nginx TLS -> workers -> PostgreSQL: health, errors, limits, docs, TLS, headers.
use strict;
use warnings;
use Test::More;
use LaFete::Test;

# health
my $r = req(GET => '/api/health');
is($r->{status}, 200, 'health 200');
is_deeply($r->{json}, { status => 'ok', database => 'ok' }, 'health body');
like($r->{headers}{'x-request-id'} // '', qr/^[0-9a-f]{32}$/, 'request id from nginx echoed');
like($r->{headers}{'strict-transport-security'} // '', qr/max-age=\d+/, 'HSTS');
is($r->{headers}{'x-content-type-options'}, 'nosniff', 'nosniff');
ok($r->{headers}{'referrer-policy'}, 'Referrer-Policy');
like($r->{headers}{'content-security-policy'} // '', qr/frame-ancestors 'none'/, 'frame-ancestors none');
unlike($r->{headers}{server} // '', qr/\d/, 'nginx version hidden');

# admin pages, the login page included, carry the admin CSP
for my $path ('/admin/login', '/admin/orders') {
    my $a = req(GET => $path);
    like($a->{headers}{'content-security-policy'} // '', qr/default-src 'self'.*frame-ancestors 'none'/, "admin CSP on $path");
    like($a->{headers}{'strict-transport-security'} // '', qr/max-age/, "HSTS on $path");
}

# personal answers and admin pages are never stored by a browser or a proxy; the
# public catalog keeps its own caching
{
    require LaFete::Admin;
    my $u = register_user();
    my $s = LaFete::Admin::admin_session();
    my @personal = (
        [GET => '/api/me', token => $u->{token}], [GET => '/api/orders', token => $u->{token}],
        [GET => '/api/addresses', token => $u->{token}], [GET => '/api/cart', token => $u->{token}],
        [GET => '/api/admin/orders', token => admin_token()],
        [POST => '/api/auth/login', json => { email => $u->{email}, password => $u->{password} }],
        [POST => '/api/auth/login', json => { email => $u->{email}, password => 'wrong password' }],
        [GET => '/api/orders/00000000-0000-0000-0000-000000000000', token => $u->{token}],
        [GET => '/admin/orders', headers => { Cookie => $s->{cookie} }], [GET => '/admin/login'],
    );
    for my $c (@personal) {
        my $res = req(@$c);
        is($res->{headers}{'cache-control'} // '', 'no-store', "$c->[0] $c->[1] ($res->{status}): Cache-Control: no-store");
    }
    like(req(GET => '/api/products')->{headers}{'cache-control'} // '', qr/^public/, 'the public catalog stays cacheable');
}

# plain HTTP redirects to HTTPS
$r = req(GET => "$ENV{HTTP_URL}/api/health");
is($r->{status}, 301, 'http redirects');
like($r->{headers}{location} // '', qr{^https://}, 'to https');

# unknown routes
is(req(GET => '/api/orders/../../etc/passwd')->{status}, 404, 'dot segments normalised, still 404');
for my $path ('/api/nope', '/api/health/x', '/api/') {
    $r = req(GET => $path);
    is($r->{status}, 404, "404 for $path");
    is($r->{json}{error}{code}, 'NOT_FOUND', "error envelope for $path");
    ok($r->{json}{error}{message}, "message for $path");
}
$r = req(DELETE => '/api/health');
is($r->{status}, 405, 'wrong method 405');
is($r->{json}{error}{code}, 'METHOD_NOT_ALLOWED', '405 envelope');
$r = req(GET => '/nothing-here');
is($r->{status}, 404, 'non-API unknown path 404');

# body handling on a JSON route
$r = req(POST => '/api/auth/login', raw => '{"email": "a@b.c",', type => 'application/json');
is($r->{status}, 400, 'malformed JSON 400');
is($r->{json}{error}{code}, 'MALFORMED_JSON', 'malformed code');
$r = req(POST => '/api/auth/login', raw => '{"email":"a@b.c","password":"x"} trailing', type => 'application/json');
is($r->{status}, 400, 'trailing garbage 400');
$r = req(POST => '/api/auth/login', raw => '[1,2]', type => 'application/json');
is($r->{status}, 400, 'non-object 400');
$r = req(POST => '/api/auth/login', raw => '{"email":"a@b.c","password":"x"}', type => 'text/plain');
is($r->{status}, 415, 'wrong content type 415');
is($r->{json}{error}{code}, 'UNSUPPORTED_MEDIA_TYPE', '415 envelope');
$r = req(POST => '/api/auth/login', raw => '{"email":"' . ('a' x 20000) . '"}', type => 'application/json');
is($r->{status}, 413, 'body over the route cap 413');
is($r->{json}{error}{code}, 'PAYLOAD_TOO_LARGE', '413 envelope from the app');
$r = req(POST => '/api/auth/login', raw => 'x' x (7 * 1024 * 1024), type => 'application/json');
is($r->{status}, 413, 'body over the nginx cap 413');
is($r->{json}{error}{code}, 'PAYLOAD_TOO_LARGE', '413 envelope from nginx');
$r = req(POST => '/api/auth/login', raw => '{"email":"\u0000@x.y","password":"x"}', type => 'application/json');
is($r->{status}, 400, 'NUL in a string field 400');
$r = req(POST => '/api/auth/login', raw => "{\"email\":\"\xc0\xaf\",\"password\":\"x\"}", type => 'application/json');
is($r->{status}, 400, 'invalid UTF-8 400');

# a decoded NUL in a query, form or path value is a 400, never a value cut short
for my $path ('/api/products?q=%00', '/api/products?q=choco%00late', '/api/products?limit=5&q=%00',
              '/api/delivery/slots?date=%00') {
    $r = req(GET => $path);
    is($r->{status}, 400, "NUL in the query: 400 ($path)");
    is($r->{json}{error}{code}, 'BAD_REQUEST', "BAD_REQUEST ($path)");
}
is(req(GET => '/api/products?q=%2500')->{status}, 200, 'an encoded percent sign is no NUL');
$r = req(POST => '/admin/login', raw => 'csrf=x&email=a%00%40b.c&password=secret', type => 'application/x-www-form-urlencoded');
is($r->{status}, 400, 'NUL in a form field: 400');
for my $path ('/track/abc%00def', '/api/products/%00') {
    my $x = req(GET => $path);
    is($x->{status}, 400, "NUL in the path: 400 ($path)");
    # nginx refuses it before the app sees it, in the API's envelope (error_page 400)
    is($x->{json}{error}{code}, 'BAD_REQUEST', "  in the JSON envelope ($path)");
}
# straight to the workers (no nginx to refuse it): a NUL in the path would be cut there
{
    my $sock = "$ENV{STACK_DIR}/run/lafete.sock";
    my $out = `REQUEST_METHOD=GET REQUEST_URI=/track/abc%00def DOCUMENT_URI=/track/abc QUERY_STRING= cgi-fcgi -bind -connect $sock </dev/null 2>&1`;
    like($out, qr/^Status: 400/m, 'NUL in REQUEST_URI straight to a worker: 400');
}

# no response splitting: a decoded CR/LF in the path never reaches a header
$r = req(GET => '/admin/orders/x%0d%0aSet-Cookie:%20pwned=1');
is($r->{status}, 303, 'an admin path redirects to the login');
ok(!grep({ /pwned/ } ref $r->{headers}{'set-cookie'} ? @{ $r->{headers}{'set-cookie'} } : ($r->{headers}{'set-cookie'} // '')),
   'no injected cookie');
like($r->{headers}{location} // '', qr{^/admin/login\?next=/admin/orders/x%0D%0ASet-Cookie%3A%20pwned%3D1$}, 'the path is percent-encoded in next');

# internal endpoints: loopback only in nginx, token in the app
$r = req(POST => '/api/internal/dispatch');
ok($r->{status} == 401 || $r->{status} == 404, 'dispatch without token refused');

# the OpenAPI document describes every API route of the table
$r = req(GET => '/api/openapi.json');
is($r->{status}, 200, 'openapi 200');
my $doc = $r->{json};
is($doc->{openapi}, '3.1.0', 'OpenAPI 3.1');
my @routes = map { [split ' '] } `$ENV{LAFETE_BIN} routes`;
ok(@routes >= 5, 'route table printed');
for my $rt (grep { $_->[1] =~ m{^/api/} } @routes) {
    my ($m, $p) = @$rt;
    ok($doc->{paths}{$p}{lc $m}, "openapi documents $m $p");
}
my $etag = $r->{headers}{etag};
$r = req(GET => '/api/openapi.json', headers => { 'If-None-Match' => $etag });
is($r->{status}, 304, 'openapi ETag 304');
is($r->{headers}{'cache-control'}, 'public, no-cache', 'openapi: public, revalidated by its ETag');

done_testing;
