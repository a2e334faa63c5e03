#!/usr/bin/perl
# 60-admin-login.t: admin sign-in form: cookie flags, bad password, customers, CSRF, open redirects, sign-out.
use strict;
use warnings;
use Test::More;
use LaFete::Test;
use LaFete::Admin;

my $f = login_form();
is($f->{res}{status}, 200, 'login page 200');
like($f->{res}{content}, qr/<label for="email">/, 'labelled email input');
ok($f->{nonce} && $f->{csrf}, 'nonce cookie and form token');
my (undef, $raw) = set_cookies($f->{res});
like($raw->[0], qr/HttpOnly/ , 'csrf cookie HttpOnly');

my $form = sub { my %f = @_; join '&', map { "$_=$f{$_}" } keys %f };
my $post = sub {
    my ($body, $cookie) = @_;
    req(POST => '/admin/login', raw => $body, type => 'application/x-www-form-urlencoded',
        headers => { Cookie => $cookie // "lafete_csrf=$f->{nonce}" });
};
my $email = $ENV{ADMIN_EMAIL}; $email =~ s/@/%40/;

# good login
my $r = $post->($form->(csrf => $f->{csrf}, email => $email, password => $ENV{ADMIN_PASSWORD}));
is($r->{status}, 303, 'good login 303');
is($r->{headers}{location}, '/admin/orders', 'to the orders');
my ($c, $sc) = set_cookies($r);
my ($adm) = grep { /^lafete_admin=/ } @$sc;
ok($c->{lafete_admin}, 'session cookie set');
like($adm, qr/; HttpOnly/, 'HttpOnly');
like($adm, qr/; Secure/, 'Secure');
like($adm, qr/; SameSite=Strict/, 'SameSite=Strict');
like($adm, qr/; Path=\/admin(;|$)/, 'Path=/admin');
like($adm, qr/; Max-Age=\d+/, 'Max-Age');
isnt($c->{lafete_csrf}, $f->{nonce}, 'CSRF nonce rotated at login');

# safe next is followed; open redirects are not
for my $case (['/admin/kitchen', '/admin/kitchen'], ['//evil.example/admin/', '/admin/orders'],
              ['https://evil.example/', '/admin/orders'], ['/admin//evil.example', '/admin/orders'],
              ['/admin/\\evil', '/admin/orders'], ["/admin/x%0d%0aSet-Cookie:%20a=b", '/admin/orders']) {
    my ($next, $want) = @$case;
    (my $enc = $next) =~ s{([/:\\])}{sprintf '%%%02X', ord $1}ge;
    $r = $post->($form->(csrf => $f->{csrf}, email => $email, password => $ENV{ADMIN_PASSWORD}, next => $enc));
    is($r->{headers}{location}, $want, "next=$next -> $want");
}
$r = req(GET => '/admin/login?next=//evil.example/');
unlike($r->{content}, qr/evil/, 'unsafe next not echoed in the form');

# bad password / unknown email: 401 page with the form again
$r = $post->($form->(csrf => $f->{csrf}, email => $email, password => 'wrong-password'));
is($r->{status}, 401, 'bad password 401');
like($r->{content}, qr/Wrong email or password/, 'message');
like($r->{content}, qr/name="password"/, 'form again');
ok(!(set_cookies($r))[0]{lafete_admin}, 'no session cookie');
$r = $post->($form->(csrf => $f->{csrf}, email => 'nobody%40example.test', password => 'whatever-123'));
is($r->{status}, 401, 'unknown email 401');

# a customer: 403
my $u = register_user();
(my $ue = $u->{email}) =~ s/@/%40/;
$r = $post->($form->(csrf => $f->{csrf}, email => $ue, password => 'correct+horse+battery'));
is($r->{status}, 403, 'customer account 403');
ok(!(set_cookies($r))[0]{lafete_admin}, 'customer gets no session');

# CSRF on the login form
$r = $post->($form->(email => $email, password => $ENV{ADMIN_PASSWORD}));
is($r->{status}, 403, 'missing csrf 403');
$r = $post->($form->(csrf => 'f' x 64, email => $email, password => $ENV{ADMIN_PASSWORD}));
is($r->{status}, 403, 'wrong csrf 403');
$r = $post->($form->(csrf => $f->{csrf}, email => $email, password => $ENV{ADMIN_PASSWORD}), '');
is($r->{status}, 403, 'csrf without its cookie 403');
$r = req(POST => '/admin/login', raw => 'csrf=x', type => 'application/json', headers => { Cookie => "lafete_csrf=$f->{nonce}" });
is($r->{status}, 415, 'login wants a urlencoded form');
$r = $post->("csrf=$f->{csrf}&email=%FF%FE&password=%FF");
is($r->{status}, 401, 'junk bytes: 401, not a crash');
$r = $post->("csrf=$f->{csrf}&email=%FF%FE&password=%00");
is($r->{status}, 400, 'a NUL byte: 400');

# the signed-in session: pages work, logout needs the session's token, then clears the cookie
my $s = admin_session();
ok($s->{csrf}, 'signed in, page token found');
is(page('/admin/orders', $s)->{status}, 200, 'orders page with the cookie');
$r = post_form('/admin/logout', $s, csrf => $f->{csrf});
is($r->{status}, 403, 'logout with the login token (other user) 403');
$r = post_form('/admin/logout', $s, csrf => '-');
is($r->{status}, 403, 'logout without a token 403');
my $api_token = login($ENV{ADMIN_EMAIL}, $ENV{ADMIN_PASSWORD});
is(req(GET => '/api/me', token => $api_token)->{status}, 200, 'an API token of the same admin works');
sleep 1;	# tokens carry whole seconds: the revoked ones must be older than the logout
$r = post_form('/admin/logout', $s);
is($r->{status}, 303, 'logout 303');
is(page('/admin/orders', $s)->{status}, 303, 'the old session cookie no longer works (revoked, not only cleared)');
is(req(GET => '/api/me', token => $api_token)->{status}, 401, 'signing out revokes the tokens issued before');
my $again = login($ENV{ADMIN_EMAIL}, $ENV{ADMIN_PASSWORD});
is(req(GET => '/api/me', token => $again)->{status}, 200, 'signing in again right away works');
like($r->{headers}{location}, qr{^/admin/login}, 'to the login page');
my (undef, $out) = set_cookies($r);
ok((grep { /^lafete_admin=;.*Max-Age=0/ } @$out), 'session cookie cleared');
like(req(GET => $r->{headers}{location})->{content}, qr/You are signed out/, 'flash by code');
like(req(GET => '/admin/login?m=%3Cscript%3E')->{content}, qr/Staff sign in/, 'unknown flash code ignored');
unlike(req(GET => '/admin/login?m=%3Cscript%3E')->{content}, qr/<script>/, 'query never reflected');

# the failed-login back-off is the accounts' one rule, the API's, per (email, client):
# the fifth failure locks for 30 s, each later one doubles it
{
    my $v = register_user();
    (my $ve = $v->{email}) =~ s/@/%40/;
    my $em = $v->{email};	# the counts are per (email, client): this test is 127.0.0.1
    my $fail = sub {
        my ($before) = psql_row('SELECT clock_timestamp()');
        my $res = $post->($form->(csrf => $f->{csrf}, email => $ve, password => 'bad-guess'));
        my ($after) = psql_row('SELECT clock_timestamp()');
        my ($n, $lo, $hi) = psql_row("SELECT failures, EXTRACT(EPOCH FROM locked_until - :'p2'::timestamptz), "
                                     . "EXTRACT(EPOCH FROM locked_until - :'p3'::timestamptz) FROM login_clients "
                                     . "WHERE email = :'p1' AND client = '127.0.0.1'",
                                     $em, $after, $before);
        return ($res->{status}, $n, $lo, $hi);
    };
    psql("INSERT INTO login_clients (email, client, failures, forget_after) VALUES (:'p1', '127.0.0.1', 3, now() + interval '1 day')", $em);
    my ($st, $n, $lo, $hi) = $fail->();
    ok($st == 401 && $n == 4 && ($hi // '') eq '', 'admin form: a fourth failure 401, counted, no lock');
    ($st, $n, $lo, $hi) = $fail->();
    ok($st == 401 && $n == 5, 'admin form: the fifth failure 401, counted');
    ok($lo <= 30 && $hi >= 30, "admin form: the fifth failure locks for 30 s, as the API's ($lo..$hi)");
    psql("UPDATE login_clients SET locked_until = now() - interval '1 second' WHERE email = :'p1' AND client = '127.0.0.1'", $em);
    ($st, $n, $lo, $hi) = $fail->();
    ok($st == 401 && $n == 6 && $lo <= 60 && $hi >= 60, "admin form: the sixth doubles it to 60 s ($lo..$hi)");
    psql("UPDATE login_clients SET locked_until = now() + interval '60 seconds' WHERE email = :'p1' AND client = '127.0.0.1'", $em);
    $r = $post->($form->(csrf => $f->{csrf}, email => $ve, password => 'correct+horse+battery'));
    is($r->{status}, 429, 'admin form: locked, even with the right password: 429');
    like($r->{headers}{'retry-after'} // '', qr/^\d+$/, 'with Retry-After');
    like($r->{content}, qr/Too many failed attempts/, 'and says so on the form');
    is(req(POST => '/api/auth/login', json => { email => $v->{email}, password => $v->{password} })->{status}, 429,
       'the same lock holds for the API');
    is((psql_row("SELECT failures FROM login_clients WHERE email = :'p1' AND client = '127.0.0.1'", $em))[0], 6, 'attempts while locked are not counted');
    psql("UPDATE login_clients SET locked_until = NULL WHERE email = :'p1' AND client = '127.0.0.1'", $em);
    is($post->($form->(csrf => $f->{csrf}, email => $ve, password => 'correct+horse+battery'))->{status}, 403,
       'unlocked: the right password passes (a customer: 403)');
    is((psql_row("SELECT failures FROM login_clients WHERE email = :'p1' AND client = '127.0.0.1'", $em))[0], 0, 'and resets the count');
}

done_testing;
