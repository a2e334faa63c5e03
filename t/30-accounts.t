#!/usr/bin/perl
# 30-accounts.t: register, login, per-account back-off, /api/me, JWT forgeries, roles, the admin CLI, nginx rate limit.
use strict;
use warnings;
use Test::More;
use FindBin;
use LaFete::Test;
use Digest::SHA qw(hmac_sha512);
use JSON::PP;
use MIME::Base64 qw(encode_base64url);
use HTTP::Tiny;
use POSIX ();

sub sql { psql(@_) }	# :'p1'... bound by psql
sub sql_row { my @r = sql(@_); return $r[0] ? @{ $r[0] } : () }

my $secret = $ENV{JWT_SECRET} or BAIL_OUT('JWT_SECRET unset');
my $bin = $ENV{LAFETE_BIN} or BAIL_OUT('LAFETE_BIN unset');
my $J = JSON::PP->new->canonical;

sub register { req(POST => '/api/auth/register', json => {@_}) }
sub login_req { req(POST => '/api/auth/login', json => { email => $_[0], password => $_[1] }) }
sub fresh { my $e = uniq_email(); $e =~ s/\@/-$_[0]\@/ if $_[0]; $e }

# ---------- register ----------
my $email = fresh('reg');
(my $shouty = "  \U$email\E  ") =~ s/EXAMPLE/Example/;
my $r = register(email => $shouty, password => 'correct horse battery', phone => '98765 43210', name => 'Asha Rao');
is($r->{status}, 201, 'register 201');
ok($r->{json}{token}, 'register returns a token');
my $u = $r->{json}{user};
is($u->{email}, $email, 'email trimmed and lower-cased');
is($u->{phone}, '+919876543210', 'phone normalised');
is($u->{name}, 'Asha Rao', 'name');
is($u->{role}, 'CUSTOMER', 'role CUSTOMER');
like($u->{id}, qr/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'id is a UUID');
like($u->{createdAt}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+05:30$/, 'createdAt RFC 3339 IST');
is_deeply([sort keys %$u], [sort qw(id email name phone role createdAt)], 'user has exactly the public fields');
unlike($r->{content}, qr/argon2|password/i, 'no password hash in the answer');
my ($stored) = sql_row("SELECT password_hash FROM users WHERE id = :'p1'", $u->{id});
like($stored, qr/^\$argon2id\$/, 'stored with Argon2id');
my $token = $r->{json}{token};

for my $other ($email, uc $email, "  $email ", ucfirst $email) {
    $r = register(email => $other, password => 'another password', phone => '9876543210', name => 'X');
    is($r->{status}, 409, "duplicate '$other' 409");
    is($r->{json}{error}{code}, 'EMAIL_TAKEN', 'EMAIL_TAKEN');
    is($r->{json}{error}{field}, 'email', 'names email');
}

for my $ph ('98765 43210', '+91-9876543210', '09876543210', '+91 98765 43210', '919876543210', '6000000000') {
    $r = register(email => fresh('ph'), password => 'correct horse battery', phone => $ph, name => 'P');
    is($r->{status}, 201, "phone '$ph' accepted");
    my $want = $ph eq '6000000000' ? '+916000000000' : '+919876543210';
    is($r->{json}{user}{phone}, $want, "phone '$ph' -> $want");
}

my %good = (password => 'correct horse battery', phone => '9876543210', name => 'Valid Name');
my @bad = (
    [{ phone => '12345' }, 'phone', 'phone too short'],
    [{ phone => '5876543210' }, 'phone', 'phone starting with 5'],
    [{ phone => '+1-202-555-0123' }, 'phone', 'US phone'],
    [{ phone => '98765432101' }, 'phone', 'eleven digits'],
    [{ phone => '98765abcde' }, 'phone', 'letters'],
    [{ phone => '+91+9876543210' }, 'phone', 'two plus signs'],
    [{ phone => '' }, 'phone', 'empty phone'],
    [{ phone => 9876543210 }, 'phone', 'phone as a number'],
    [{ phone => undef }, 'phone', 'phone missing'],
    [{ email => 'plain' }, 'email', 'email without @'],
    [{ email => 'a@b' }, 'email', 'email without a dot in the domain'],
    [{ email => '@example.com' }, 'email', 'email without local part'],
    [{ email => 'a@@example.com' }, 'email', 'two @'],
    [{ email => 'a b@example.com' }, 'email', 'space inside'],
    [{ email => 'a@.example.com' }, 'email', 'domain starting with a dot'],
    [{ email => 'a@example.com.' }, 'email', 'trailing dot'],
    [{ email => ('a' x 250) . '@x.com' }, 'email', 'email over 254'],
    [{ email => '' }, 'email', 'empty email'],
    [{ email => "\x{c9}lodie\@example.com" }, 'email', 'non-ASCII email'],
    [{ email => "a\@b\x{130}.com" }, 'email', 'non-ASCII domain'],
    [{ email => undef }, 'email', 'email missing'],
    [{ password => 'short12' }, 'password', 'password of 7'],
    [{ password => 'x' x 129 }, 'password', 'password of 129'],
    [{ password => 'x' x 5000 }, 'password', 'password of 5000'],
    [{ password => 12345678 }, 'password', 'password a number'],
    [{ password => undef }, 'password', 'password missing'],
    [{ name => '' }, 'name', 'empty name'],
    [{ name => 'n' x 101 }, 'name', 'name of 101'],
    [{ name => "a\x{7}b" }, 'name', 'name with a control character'],
    [{ name => undef }, 'name', 'name missing'],
);
for my $case (@bad) {
    my ($change, $field, $name) = @$case;
    my %body = (%good, email => fresh('bad'), %$change);
    delete $body{$field} if exists $change->{$field} && !defined $change->{$field};
    $r = req(POST => '/api/auth/register', json => \%body);
    is($r->{status}, 400, "$name: 400");
    is($r->{json}{error}{code}, 'VALIDATION_ERROR', "$name: code");
    is($r->{json}{error}{field}, $field, "$name: names $field");
}
$r = register(email => fresh('pw8'), %good, password => 'exactly8');
is($r->{status}, 201, 'password of exactly 8 accepted');
$r = register(email => fresh('pwu'), %good, password => "\x{00e9}t\x{00e9} \x{1F382}\x{1F382}\x{1F382}!");
is($r->{status}, 201, 'password of 8 code points (non-ASCII) accepted');
is(login_req($r->{json}{user}{email}, "\x{00e9}t\x{00e9} \x{1F382}\x{1F382}\x{1F382}!")->{status}, 200, 'and it logs in');

# ---------- login ----------
$r = login_req("  \U$email\E ", 'correct horse battery');
is($r->{status}, 200, 'login 200 with case and spaces');
is($r->{json}{user}{id}, $u->{id}, 'same user');
ok($r->{json}{token}, 'token');
unlike($r->{content}, qr/argon2|password/i, 'no hash in the login answer');
my $wrong = login_req($email, 'wrong password!');
my $unknown = login_req(fresh('nobody'), 'wrong password!');
is($wrong->{status}, 401, 'wrong password 401');
is($unknown->{status}, 401, 'unknown email 401');
is($wrong->{json}{error}{code}, 'INVALID_CREDENTIALS', 'INVALID_CREDENTIALS');
is($wrong->{content}, $unknown->{content}, 'wrong password and unknown email answer the same body');
$r = login_req('not an email', 'whatever!');
is($r->{status}, 401, 'malformed email at login is just wrong credentials');
is($r->{content}, $unknown->{content}, 'same body again');
for my $case ([{ password => 'x' }, 'email'], [{ email => $email }, 'password'], [{ email => 5, password => 'x' }, 'email'],
              [{ email => $email, password => '' }, 'password']) {
    $r = req(POST => '/api/auth/login', json => $case->[0]);
    is($r->{status}, 400, "login without a valid $case->[1] 400");
    is($r->{json}{error}{field}, $case->[1], "names $case->[1]");
}

# ---------- the back-off of one client (this test's 127.0.0.1) for one email ----------
# Rule: the 5th consecutive failure locks that client for 30 s; each failure
# after a lock has run out doubles it (60, 120, ... up to 900 s). While locked
# every attempt from it, even with the right password, answers 429
# TOO_MANY_ATTEMPTS with Retry-After; a successful login resets the count.
my $victim = register_user(email => fresh('lock'));
my $ve = $victim->{email};
for my $i (1 .. 4) { login_req($ve, "bad guess $i") }
is(login_req($ve, $victim->{password})->{status}, 200, 'four failures, then success: 200');
is((sql_row("SELECT failures FROM login_clients WHERE email = :'p1' AND client = '127.0.0.1'", $ve))[0], 0, 'success resets the count');
my @st = map { login_req($ve, "bad guess $_")->{status} } 1 .. 5;
is_deeply(\@st, [401, 401, 401, 401, 401], 'five failures each 401');
my ($fails, $lock) = sql_row("SELECT failures, EXTRACT(EPOCH FROM locked_until - now())::int FROM login_clients WHERE email = :'p1' AND client = '127.0.0.1'", $ve);
is($fails, 5, 'five failures counted');
ok($lock > 20 && $lock <= 30, "locked for 30 s (left: $lock)");
$r = login_req($ve, $victim->{password});
is($r->{status}, 429, 'right password while locked: 429');
is($r->{json}{error}{code}, 'TOO_MANY_ATTEMPTS', 'TOO_MANY_ATTEMPTS');
my $ra = $r->{headers}{'retry-after'} // '';
ok($ra =~ /^\d+$/ && $ra >= 1 && $ra <= 30, "Retry-After in seconds ($ra)");
$r = login_req($ve, 'bad guess again');
is($r->{status}, 429, 'wrong password while locked: 429');
is((sql_row("SELECT failures FROM login_clients WHERE email = :'p1' AND client = '127.0.0.1'", $ve))[0], 5, 'attempts while locked are not counted');
sql("UPDATE login_clients SET locked_until = now() - interval '1 second' WHERE email = :'p1' AND client = '127.0.0.1'", $ve);
is(login_req($ve, 'sixth bad guess')->{status}, 401, 'after the lock: a sixth failure 401');
($fails, $lock) = sql_row("SELECT failures, EXTRACT(EPOCH FROM locked_until - now())::int FROM login_clients WHERE email = :'p1' AND client = '127.0.0.1'", $ve);
ok($fails == 6 && $lock > 50 && $lock <= 60, "sixth failure doubles the lock to 60 s (left: $lock)");
sql("UPDATE login_clients SET failures = 40, locked_until = NULL WHERE email = :'p1' AND client = '127.0.0.1'", $ve);
is(login_req($ve, 'many bad guesses')->{status}, 401, 'a long run of failures still 401');
($lock) = sql_row("SELECT EXTRACT(EPOCH FROM locked_until - now())::int FROM login_clients WHERE email = :'p1' AND client = '127.0.0.1'", $ve);
ok($lock > 800 && $lock <= 900, "lock capped at 15 minutes (left: $lock)");
# at a huge count the failure still counts and locks (no integer overflow in SQL)
sql("UPDATE login_clients SET failures = 2147483647, locked_until = NULL WHERE email = :'p1' AND client = '127.0.0.1'", $ve);
is(login_req($ve, 'bad guess at the top')->{status}, 401, 'a failure at INT_MAX failures: 401');
($fails, $lock) = sql_row("SELECT failures, EXTRACT(EPOCH FROM locked_until - now())::int FROM login_clients WHERE email = :'p1' AND client = '127.0.0.1'", $ve);
ok(defined $lock && $lock > 800 && $lock <= 900, 'still locked for 15 minutes (left: ' . ($lock // 'no lock') . ')');
ok($fails > 40 && $fails <= 2147483647, "the count stays in range ($fails)");
sql("UPDATE login_clients SET locked_until = NULL WHERE email = :'p1' AND client = '127.0.0.1'", $ve);
is(login_req($ve, $victim->{password})->{status}, 200, 'unlocked: the right password 200');
is((sql_row("SELECT failures FROM login_clients WHERE email = :'p1' AND client = '127.0.0.1'", $ve))[0], 0, 'and the count is reset');

# ---------- nobody without the password can lock the owner out ----------
# Requests from other loopback addresses (127.0.0.N) stand for other clients.
sub login_from {
    my ($addr, $em, $pw) = @_;
    my $h = HTTP::Tiny->new(verify_SSL => 0, timeout => 30, local_address => $addr);
    my $res = $h->post("$ENV{BASE_URL}/api/auth/login", { headers => { 'Content-Type' => 'application/json' },
                                                         content => $J->encode({ email => $em, password => $pw }) });
    $res->{json} = json_of($res->{content});
    return $res;
}
{
    my $owner = register_user(email => fresh('owner'));
    my $oe = $owner->{email};
    my @st = map { login_from('127.0.0.2', $oe, "attacker guess $_")->{status} } 1 .. 5;
    is_deeply(\@st, [401, 401, 401, 401, 401], "an attacker's five guesses from another address: 401 each");
    is(login_from('127.0.0.2', $oe, $owner->{password})->{status}, 429, 'that address is locked, even with the right password');
    is(login_from('127.0.0.2', $oe, 'one more guess')->{status}, 429, 'and with a wrong one');
    $r = login_from('127.0.0.1', $oe, $owner->{password});
    is($r->{status}, 200, 'the owner signs in from their own address during the lock the attacker caused');
    is(login_from('127.0.0.2', $oe, 'still guessing')->{status}, 429, "the owner's success does not unlock the attacker");
    is(login_from('127.0.0.1', $oe, 'owner typo')->{status}, 401, "the owner's own typo: 401, counted for the owner's address");

    # the shop's admin, attacked through the API, still signs in (API and admin form)
    login_from('127.0.0.3', $ENV{ADMIN_EMAIL}, "admin guess $_") for 1 .. 6;
    is(login_from('127.0.0.3', $ENV{ADMIN_EMAIL}, $ENV{ADMIN_PASSWORD})->{status}, 429, "the admin's attacker is locked");
    is(login_from('127.0.0.1', $ENV{ADMIN_EMAIL}, $ENV{ADMIN_PASSWORD})->{status}, 200, 'the admin signs in all the same');

    # many addresses (a distributed guess) trip the per-email throttle: then only an
    # address this account has signed in from before is let in; `lafete unlock` ends it
    my $target = register_user(email => fresh('dist'));
    my $te = $target->{email};
    is(login_from('127.0.0.1', $te, $target->{password})->{status}, 200, 'the owner signs in once from 127.0.0.1');
    my %seen;
    for my $n (10 .. 20) { $seen{ login_from("127.0.0.$n", $te, "guess $n/$_")->{status} }++ for 1 .. 5 }
    ok($seen{401} && $seen{429}, 'fifty-five guesses from eleven addresses: 401, then 429 (' .
       join(', ', map { "$_ x$seen{$_}" } sort keys %seen) . ')');
    $r = login_from('127.0.0.30', $te, $target->{password});
    is($r->{status}, 429, 'a new address with the right password, during the attack: 429');
    is($r->{json}{error}{code}, 'TOO_MANY_ATTEMPTS', 'TOO_MANY_ATTEMPTS');
    is(login_from('127.0.0.1', $te, $target->{password})->{status}, 200, "the owner's known address signs in");
    my $out = `$bin unlock --email \U$te\E 2>&1`;
    is($? >> 8, 0, 'lafete unlock --email exits 0') or diag $out;
    like($out, qr/unlocked \Q$te\E/, 'and says so');
    is(login_from('127.0.0.30', $te, $target->{password})->{status}, 200, 'unlocked: the new address signs in');
    is(login_from('127.0.0.10', $te, 'guess again')->{status}, 401, "and the attackers' locks are gone too");
    $out = `$bin unlock 2>&1`;
    is($? >> 8, 2, 'unlock without --email exits 2');
}

# ---------- an unknown email answers as an existing account does ----------
{
    my $known = register_user(email => fresh('known'));
    my $ghost = fresh('ghost');
    my (@k, @g);
    for my $i (1 .. 6) {
        push @k, login_from('127.0.0.4', $known->{email}, "guess $i");
        push @g, login_from('127.0.0.4', $ghost, "guess $i");
    }
    is_deeply([map { $_->{status} } @g], [map { $_->{status} } @k], 'the same statuses, attempt by attempt (' .
              join(' ', map { $_->{status} } @g) . ')');
    is($g[-1]{status}, 429, 'an unknown email is throttled too');
    (my $kb = $k[-1]{content}) =~ s/\d+/N/g;
    (my $gb = $g[-1]{content}) =~ s/\d+/N/g;
    is($gb, $kb, 'with the same body');
    ok($g[-1]{headers}{'retry-after'}, 'and a Retry-After');
}

# ---------- /api/me ----------
$r = req(GET => '/api/me', token => $token);
is($r->{status}, 200, 'me 200');
is_deeply($r->{json}, $u, 'me is the registered user');
$r = req(GET => '/api/me');
is($r->{status}, 401, 'me without a token 401');
is($r->{json}{error}{code}, 'UNAUTHORIZED', '401 envelope');
$r = req(GET => '/api/me', headers => { Authorization => "Basic $token" });
is($r->{status}, 401, 'not a Bearer header 401');
$r = req(GET => '/api/me', headers => { Authorization => 'Bearer' });
is($r->{status}, 401, 'empty Bearer 401');

# ---------- JWT forgeries ----------
my $now = time;
my %claims = (iss => 'lafete365', sub => $u->{id}, role => 'CUSTOMER', iat => $now - 10, exp => $now + 3600);
sub b64 { my $s = encode_base64url(shift); $s =~ s/=+$//; $s }
sub hs512 {
    my ($payload, $key) = @_;
    my $h = b64($J->encode({ alg => 'HS512', typ => 'JWT' }));
    my $p = b64($J->encode($payload));
    return "$h.$p." . b64(hmac_sha512("$h.$p", $key));
}
my $forged = jwt_forge(payload => {%claims}, key => $secret);
is(req(GET => '/api/me', token => $forged)->{status}, 200, 'sanity: a well-formed HS256 token with the secret works');
my $admin_claims = jwt_forge(payload => { %claims, role => 'ADMIN' }, key => $secret);
is(req(GET => '/api/me', token => $admin_claims)->{json}{role}, 'CUSTOMER', 'the role comes from the database, not the token');

my ($th, $tp, $ts) = split /\./, $token;
my $tampered = b64($J->encode({ %{ $J->decode(MIME::Base64::decode_base64url($tp)) }, role => 'ADMIN' }));
my $big = jwt_forge(payload => { %claims, pad => 'x' x 4200 }, key => $secret);
my %forgeries = (
    'alg none, no signature'   => jwt_forge(header => { alg => 'none', typ => 'JWT' }, payload => {%claims}),
    'alg none, with signature' => jwt_forge(header => { alg => 'none', typ => 'JWT' }, payload => {%claims}, key => $secret),
    'alg None'                 => jwt_forge(header => { alg => 'None' }, payload => {%claims}),
    'HS512 with the secret'    => hs512({%claims}, $secret),
    'wrong secret'             => jwt_forge(payload => {%claims}, key => 'x' x 40),
    'tampered payload (ADMIN)' => "$th.$tampered.$ts",
    'missing exp'              => jwt_forge(payload => { %claims, exp => undef }, key => $secret),
    'past exp'                 => jwt_forge(payload => { %claims, iat => $now - 7200, exp => $now - 60 }, key => $secret),
    'exp as a string'          => jwt_forge(payload => { %claims, exp => '' . ($now + 3600) }, key => $secret),
    'iat in the future'        => jwt_forge(payload => { %claims, iat => $now + 3600, exp => $now + 7200 }, key => $secret),
    'missing iat'              => jwt_forge(payload => { %claims, iat => undef }, key => $secret),
    'wrong iss'                => jwt_forge(payload => { %claims, iss => 'evil' }, key => $secret),
    'missing iss'              => jwt_forge(payload => { %claims, iss => undef }, key => $secret),
    'non-UUID sub'             => jwt_forge(payload => { %claims, sub => 'admin' }, key => $secret),
    'SQL in sub'               => jwt_forge(payload => { %claims, sub => "' OR 1=1 --" }, key => $secret),
    'numeric sub'              => jwt_forge(payload => { %claims, sub => 42 }, key => $secret),
    'sub of nobody'            => jwt_forge(payload => { %claims, sub => '00000000-0000-4000-8000-000000000000' }, key => $secret),
    'garbage'                  => 'garbage',
    'three dots of garbage'    => 'a.b.c',
    'empty parts'              => '..',
    'trailing junk'            => "$token.x",
    'over 4 KB'                => $big,
);
for my $name (sort keys %forgeries) {
    my $t = $forgeries{$name};
    # undef claims are dropped, not sent as null
    if ($name =~ /^missing (\w+)/) {
        my %c = %claims; delete $c{$1};
        $t = jwt_forge(payload => \%c, key => $secret);
    }
    $r = req(GET => '/api/me', token => $t);
    is($r->{status}, 401, "forgery: $name -> 401");
    is($r->{json}{error}{code}, 'UNAUTHORIZED', "forgery: $name envelope");
}
ok(length($big) > 4096, 'the big token is over 4 KB');

my $doomed = register_user(email => fresh('gone'));
is(req(GET => '/api/me', token => $doomed->{token})->{status}, 200, 'live user 200');
sql("UPDATE users SET deleted_at = now() WHERE id = :'p1'", $doomed->{user}{id});
# a write made with SQL reaches the workers' copies with its NOTIFY (README "What
# workers keep in memory"): within 2 s, then for good
ok(wait_for(sub { req(GET => '/api/me', token => $doomed->{token})->{status} == 401 }, 2), 'token of a deleted user 401');
$r = req(GET => '/api/me', token => $doomed->{token});
is($r->{status}, 401, 'and it stays refused');
is(login_req($doomed->{email}, $doomed->{password})->{status}, 401, 'a deleted user cannot log in');

# ---------- roles ----------
my @admin_routes = grep { $_->[2] eq 'admin' && $_->[1] =~ m{^/api/} } map { [split ' '] } `$bin routes`;
my ($ar) = (grep({ $_->[0] eq 'GET' } @admin_routes), @admin_routes);
sub hit_admin {
    my ($tok) = @_;
    (my $path = $ar->[1]) =~ s/\{\w+\}/00000000-0000-4000-8000-000000000000/g;
    return req($ar->[0], $path, token => $tok, ($ar->[0] =~ /^(POST|PATCH|PUT)$/ ? (json => {}) : ()));
}
SKIP: {
    skip 'no AUTH_ADMIN route in the table yet', 4 unless $ar;
    $r = hit_admin($token);
    is($r->{status}, 403, "customer on $ar->[0] $ar->[1] 403");
    is($r->{json}{error}{code}, 'FORBIDDEN', '403 envelope');
    $r = hit_admin(undef);
    is($r->{status}, 401, "no token on $ar->[0] $ar->[1] 401") if $ar->[0] eq 'GET';
    ok(1, 'placeholder for non-GET admin routes') unless $ar->[0] eq 'GET';
    $r = hit_admin(admin_token());
    ok($r->{status} != 401 && $r->{status} != 403 && $r->{status} < 500, "admin reaches $ar->[1] ($r->{status})");
}

# ---------- admin CLI ----------
my $out = `$bin admin --help 2>&1`;
is($? >> 8, 0, 'admin --help exits 0');
like($out, qr/usage: lafete admin --email/i, 'admin --help prints usage');
$out = `$bin admin 2>&1`;
is($? >> 8, 2, 'admin without --email exits 2');
like($out, qr/--email/, 'and says --email is required');
$out = `$bin admin --email not-an-address --password longenough 2>&1`;
is($? >> 8, 2, 'admin with a bad email exits 2');
$out = `$bin admin --email x\@y.test --password short 2>&1`;
is($? >> 8, 2, 'admin with a short password exits 2');
$out = `$bin admin --bogus 2>&1`;
is($? >> 8, 2, 'unknown option exits 2');

# outside development mode (LAFETE_ENV=production, the default) a default or short
# admin password is refused: by every command (the configuration) and by `admin`
for my $case (['production', 'change-me-now', 1, 'the development default'],
              ['production', 'short-pw-1', 1, 'a password of 10 characters'],
              ['', 'change-me-now', 1, 'the default, LAFETE_ENV unset (production)'],
              ['production', 'a-long-admin-password', 0, 'a long password'],
              ['development', 'change-me-now', 0, 'the default in development mode'],
              ['staging', 'a-long-admin-password', 1, 'an unknown LAFETE_ENV']) {
    my ($env, $pw, $fails, $name) = @$case;
    local $ENV{LAFETE_ENV} = $env;
    delete local $ENV{LAFETE_ENV} if $env eq '';
    local $ENV{ADMIN_PASSWORD} = $pw;
    $out = `$bin check-config 2>&1`;
    is($? >> 8, $fails, "check-config with $name: " . ($fails ? 'refused' : 'accepted')) or diag $out;
    like($out, $env eq 'staging' ? qr/LAFETE_ENV/ : qr/ADMIN_PASSWORD/, 'naming the variable') if $fails;
}
{
    local $ENV{LAFETE_ENV} = 'production';
    $out = `$bin admin --email short-$$\@example.test --password short-pw-1 2>&1`;
    is($? >> 8, 2, 'admin --password of 10 characters outside development: exit 2') or diag $out;
    like($out, qr/12/, 'saying 12 characters are needed');
    is_deeply([psql_row("SELECT count(*) FROM users WHERE email = :'p1'", "short-$$\@example.test")], [0], 'no account made');
}

my $boss = fresh('boss');
$out = `$bin admin --email $boss --password boss-password-123 2>&1`;
is($? >> 8, 0, 'admin --email --password exits 0') or diag $out;
like($out, qr/created admin/, 'says created');
$r = login_req($boss, 'boss-password-123');
is($r->{status}, 200, 'the new admin logs in');
is($r->{json}{user}{role}, 'ADMIN', 'role ADMIN');
my $boss_token = $r->{json}{token};
is(req(GET => '/api/me', token => $boss_token)->{json}{role}, 'ADMIN', 'me says ADMIN');
SKIP: {
    skip 'no AUTH_ADMIN route in the table yet', 1 unless $ar;
    $r = hit_admin($boss_token);
    ok($r->{status} != 401 && $r->{status} != 403 && $r->{status} < 500, "the new admin reaches $ar->[1] ($r->{status})");
}

my $cust = register_user(email => fresh('promo'));
is(req(GET => '/api/me', token => $cust->{token})->{json}{role}, 'CUSTOMER', 'customer before promotion');
$out = `$bin admin --email \U$cust->{email}\E 2>&1`;
is($? >> 8, 0, 'promoting an existing customer (no password) exits 0') or diag $out;
like($out, qr/updated admin/, 'says updated');
is(req(GET => '/api/me', token => $cust->{token})->{json}{role}, 'ADMIN', 'promoted: role ADMIN in /api/me with the old token');
is(login_req($cust->{email}, $cust->{password})->{status}, 200, 'the password is unchanged');
SKIP: {
    skip 'no AUTH_ADMIN route in the table yet', 1 unless $ar;
    $r = hit_admin($cust->{token});
    ok($r->{status} != 401 && $r->{status} != 403, 'the promoted customer reaches the admin route');
}
$out = `$bin admin --email nobody-$$\@example.test 2>&1`;
is($? >> 8, 1, 'a new admin without a password fails');
like($out, qr/needs --password/, 'and says it needs --password');
is_deeply([psql_row("SELECT count(*) FROM users WHERE email = :'p1'", "nobody-$$\@example.test")], [0], 'and leaves no account behind');

# ---------- nginx limit_req on /api/auth/ ----------
# 40 clients x 30 cheap requests (400: no password, so no Argon2) outrun
# AUTH_RATE=200 r/s with AUTH_BURST=400; each client stops at its first 429.
my @kids;
for my $k (1 .. 40) {
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        # a connection of its own: the parent's TLS session must not be shared
        my $http = HTTP::Tiny->new(verify_SSL => 0, timeout => 20, keep_alive => 1);
        my $code = 0;
        for (1 .. 30) {
            my $x = $http->post("$ENV{BASE_URL}/api/auth/login", { headers => { 'Content-Type' => 'application/json' },
                                                                  content => '{"email":"storm@example.test"}' });
            $x->{json} = json_of($x->{content});
            if ($x->{status} == 429) {
                my $ok = ($x->{json}{error}{code} // '') eq 'RATE_LIMITED' && $x->{json}{error}{message}
                         && ($x->{headers}{'content-type'} // '') =~ m{application/json}
                         && ($x->{headers}{'strict-transport-security'} // '') =~ /max-age/
                         && ($x->{headers}{'x-content-type-options'} // '') eq 'nosniff';
                $code = $ok ? 1 : 2;
                last;
            }
            if ($x->{status} != 400) { $code = 3; last }
        }
        POSIX::_exit($code);
    }
    push @kids, $pid;
}
my %by;
for (@kids) { waitpid($_, 0); $by{ $? >> 8 }++ }
ok(($by{1} // 0) >= 1, 'at least one 429 RATE_LIMITED from nginx (' . join(', ', map { "$_:$by{$_}" } sort keys %by) . ')');
ok(!$by{2}, '429 bodies are the JSON envelope with code RATE_LIMITED, with the security headers');
ok(!$by{3}, 'nothing but 400 and 429 under the storm');
ok(wait_for(sub { req(POST => '/api/auth/login', json => {})->{status} == 400 }, 20), 'the limit drains');

# the seeded admin's phone is a mobile like every phone the API answers (STORE_PHONE's)
{
    my $me = req(GET => '/api/me', token => admin_token());
    is($me->{json}{role}, 'ADMIN', 'the seeded admin');
    like($me->{json}{phone} // '', qr/^\+91[6-9][0-9]{9}$/, 'has an Indian mobile number as phone');
    # an admin seeded before that rule had +910000000000: seeding again repairs it
    psql("UPDATE users SET phone = '+910000000000' WHERE id = :'p1'", $me->{json}{id});
    is(system("$ENV{LAFETE_BIN} seed $FindBin::Bin/../seed >/dev/null 2>&1"), 0, 'seed runs again');
    is((psql_row("SELECT phone FROM users WHERE id = :'p1'", $me->{json}{id}))[0], $me->{json}{phone},
       'and gives the old placeholder phone the shop\'s number');
}

done_testing;
