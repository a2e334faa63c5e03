#!/usr/bin/perl
# 75-password-reset.t: POST /api/auth/password-reset and .../confirm: the same answer
# (and time) whether or not the account exists, the email through the outbox and the
# dispatch pass, a token of 256 bits kept only as a hash (nowhere in the database),
# valid 30 minutes and once, a new request voiding the older ones, every older
# token revoked; the budget per email; nginx's limit per address; bad inputs.
use strict;
use warnings;
use Test::More;
use List::Util qw(sum);
use Time::HiRes qw(time sleep);
use Digest::SHA qw(sha256_hex);
use LaFete::Test;
use LaFete::Mail;

my $bin = $ENV{LAFETE_BIN} or BAIL_OUT('LAFETE_BIN unset');
sub reset_req { req(POST => '/api/auth/password-reset', json => { email => $_[0] }) }
sub confirm { req(POST => '/api/auth/password-reset/confirm', json => { token => $_[0], password => $_[1] }) }
sub login_req { req(POST => '/api/auth/login', json => { email => $_[0], password => $_[1] }) }
sub one { (psql_row(@_))[0] }

my $u = register_user(name => 'Reset Ravi');
my $ghost = uniq_email();

# ---------- the request: one answer ----------
my $known = reset_req($u->{email});
my $unknown = reset_req($ghost);
is($known->{status}, 202, 'a known email: 202');
is($unknown->{status}, 202, 'an unknown email: 202');
is($unknown->{content}, $known->{content}, 'the same body, byte for byte');
like($known->{json}{message}, qr/If an account has this email/, 'which says what may happen');
is_deeply([sort keys %{ $known->{json} }], ['message'], 'and nothing else');
is(reset_req("  \U$u->{email}\E ")->{content}, $known->{content}, 'case and spaces: the same answer');
is(one("SELECT count(*) FROM password_resets r JOIN users u ON u.id = r.user_id WHERE u.email = :'p1'", $u->{email}), 2,
   'two requests for the known email written');
is(one("SELECT count(*) FROM password_resets r JOIN users u ON u.id = r.user_id WHERE u.email = :'p1' "
       . "AND used_at IS NULL AND voided_at IS NULL", $u->{email}), 1, 'each newer one voided the older');
is(one("SELECT count(*) FROM emails WHERE to_address = :'p1'", $ghost), 0, 'nothing queued for the unknown email');
is(one("SELECT requests FROM password_reset_windows WHERE email = :'p1'", $ghost), 1, 'but its request is counted, as a known one is');

# ---------- the email, through the outbox and the dispatch pass ----------
my ($body_before, $hash_before) = psql_row("SELECT e.body, r.token_hash FROM emails e JOIN password_resets r "
                                           . "ON r.id = e.password_reset_id WHERE e.to_address = :'p1' ORDER BY e.id DESC LIMIT 1", $u->{email});
is($body_before, '', 'queued without a body: the link is made when the email goes');
ok(!defined $hash_before || $hash_before eq '', 'and no token exists yet');
my $token = wait_reset_token($u->{email}, 0);
ok($token, 'the reset email reached the sink through the dispatch pass') or BAIL_OUT('no reset email');
is(reset_mail_count($u->{email}), 1, 'one email: the superseded request was never sent');
is(one("SELECT count(*) FROM emails WHERE to_address = :'p1' AND kind = 'password_reset' AND state = 'void'", $u->{email}), 1,
   'its email is void');
my ($mail) = grep { $_->{headers}{subject} =~ /^Reset your password/ } mails_to($u->{email});
like($mail->{headers}{subject}, qr/^Reset your password - La F\x{ea}te 365$/, 'subject');
like($mail->{body}, qr/^Hello Reset Ravi,/, 'greets the account by name');
like($mail->{body}, qr{https://localhost:\d+/reset-password\?token=\Q$token\E}, "the customer's link goes to RESET_URL (PUBLIC_URL/reset-password)");
like($mail->{body}, qr/works once, for 30 minutes/, 'says how long it works');
like($token, qr/^[A-Za-z0-9_-]{43}$/, 'the token: 43 URL-safe base64 characters (256 random bits)');
my ($hash, $valid_for, $stored) = psql_row("SELECT r.token_hash, EXTRACT(EPOCH FROM r.expires_at - now())::int, replace(e.body, E'\\n', ' ') FROM password_resets r "
                                           . "JOIN emails e ON e.password_reset_id = r.id WHERE e.to_address = :'p1' AND e.state = 'sent'", $u->{email});
is($hash, sha256_hex($token), 'only its SHA-256 is kept');
ok($valid_for > 1700 && $valid_for <= 1800, "valid for 30 minutes ($valid_for s left)");
unlike($stored, qr/\Q$token\E/, "the outbox's copy has no link");
like($stored, qr/keeps no copy/, 'and says so');
is_deeply([columns_holding($token)], [], 'the token is in no column of any table');

# ---------- the confirm ----------
my $other = login($u->{email}, $u->{password});
sleep 1.1;	# tokens carry whole seconds: those before the reset must be older than it
my $r = confirm($token, 'short');
is($r->{status}, 400, 'a password of 5: 400');
is($r->{json}{error}{field}, 'password', 'naming password');
$r = confirm($token, 'a brand new password');
is($r->{status}, 204, 'confirm: 204') or diag $r->{content};
is(req(GET => '/api/me', token => $u->{token})->{status}, 401, 'the registration token is revoked');
is(req(GET => '/api/me', token => $other)->{status}, 401, 'and every other token issued before');
is(login_req($u->{email}, $u->{password})->{status}, 401, 'the old password no longer works');
$r = login_req($u->{email}, 'a brand new password');
is($r->{status}, 200, 'the new one does');
is(req(GET => '/api/me', token => $r->{json}{token})->{status}, 200, 'and its token works');
$r = confirm($token, 'yet another password');
is($r->{status}, 400, 'the same token again: 400');
is($r->{json}{error}{code}, 'RESET_TOKEN_INVALID', 'RESET_TOKEN_INVALID');
is($r->{json}{error}{field}, 'token', 'naming token');
is(login_req($u->{email}, 'a brand new password')->{status}, 200, 'and the password stays');

# the owner is told, once, by email
wait_for(sub { dispatch(); grep { $_->{headers}{subject} =~ /^Your password was changed/ } mails_to($u->{email}) }, 20);
my @told = grep { $_->{headers}{subject} =~ /^Your password was changed/ } mails_to($u->{email});
is(scalar @told, 1, "the owner is told once that the password changed (the refused second confirm sends nothing)");
like($told[0]{body} // '', qr/with a password reset link sent to this address/, 'by a reset link');
like($told[0]{body} // '', qr/changed on \w+day \d{1,2} \w+ \d{4}, \d\d:\d\d IST/, 'when, for people');
like($told[0]{body} // '', qr/If it was not you, choose a new password at once/, 'and what to do if it was not them');

# ---------- a new request voids the older link; expiry; the owner ----------
my $ua = register_user(name => 'Asha A');
my $ub = register_user(name => 'Bala B');
reset_req($ua->{email});
my $ta1 = wait_reset_token($ua->{email}, 0);
reset_req($ub->{email});
my $tb = wait_reset_token($ub->{email}, 0);
reset_req($ua->{email});
is(confirm($ta1, 'asha new password')->{json}{error}{code}, 'RESET_TOKEN_INVALID', 'a newer request voids the link already sent');
my $ta2 = wait_reset_token($ua->{email}, 1);
isnt($ta2, $ta1, 'the newer email carries another token');
is(confirm($ta2, 'asha new password')->{status}, 204, "the newer link works");
is(login_req($ua->{email}, 'asha new password')->{status}, 200, "and sets Asha's password");
is(login_req($ub->{email}, $ub->{password})->{status}, 200, "not Bala's: a token sets its own account's password only");
is(login_req($ub->{email}, 'asha new password')->{status}, 401, 'Bala does not get the new password');
is(req(GET => '/api/me', token => $ub->{token})->{status}, 200, "and Bala's sessions live on");
psql("UPDATE password_resets SET expires_at = now() - interval '1 second' WHERE token_hash = :'p1'", sha256_hex($tb));
is(confirm($tb, 'bala new password')->{json}{error}{code}, 'RESET_TOKEN_INVALID', 'an expired token: RESET_TOKEN_INVALID');
is(login_req($ub->{email}, $ub->{password})->{status}, 200, 'and changes nothing');
psql("UPDATE password_resets SET expires_at = now() + interval '1 minute' WHERE token_hash = :'p1'", sha256_hex($tb));
is(confirm($tb, 'bala new password')->{status}, 204, 'the same token a minute before its end: 204');

# a token made from another credential, or close to a real one, is nobody's
my $ja = register_user();
reset_req($ja->{email});
my $tj = wait_reset_token($ja->{email}, 0);
(my $near = $tj) =~ s/^(.)/$1 eq 'A' ? 'B' : 'A'/e;
for my $case ([$ja->{token}, 'a bearer token'], [$near, 'the real token with one character changed'],
              ['A' x 43, 'forty-three As'], ['x', 'one character'], ['%2e%2e', 'junk'],
              [sha256_hex($tj), "the token's hash itself"]) {
    $r = confirm($case->[0], 'a good new password');
    is($r->{json}{error}{code}, 'RESET_TOKEN_INVALID', "$case->[1]: RESET_TOKEN_INVALID");
}
is(confirm($tj, 'a good new password')->{status}, 204, 'the real one still works after all those');

# ---------- the request is void once the account is deleted before its email goes ----------
my $gone = register_user();
reset_req($gone->{email});
psql("UPDATE users SET deleted_at = now() WHERE id = :'p1'", $gone->{user}{id});
wait_for(sub { dispatch(); one("SELECT state FROM emails WHERE to_address = :'p1'", $gone->{email}) ne 'queued' }, 20);
is(one("SELECT state FROM emails WHERE to_address = :'p1'", $gone->{email}), 'void', 'a deleted account: its reset email is void');
is(reset_mail_count($gone->{email}), 0, 'and never sent');

# ---------- bad inputs ----------
for my $case ([{}, 'email', 'no email'], [{ email => '' }, 'email', 'empty email'], [{ email => 'plain' }, 'email', 'not an address'],
              [{ email => 42 }, 'email', 'a number']) {
    $r = req(POST => '/api/auth/password-reset', json => $case->[0]);
    is($r->{status}, 400, "request, $case->[2]: 400");
    is($r->{json}{error}{field}, $case->[1], "naming $case->[1]");
}
for my $case ([{ password => 'a long enough one' }, 'token', 'no token'], [{ token => $tj }, 'password', 'no password'],
              [{ token => $tj, password => 'x' x 129 }, 'password', 'a password of 129'],
              [{ token => 5, password => 'a long enough one' }, 'token', 'a number as token']) {
    $r = req(POST => '/api/auth/password-reset/confirm', json => $case->[0]);
    is($r->{status}, 400, "confirm, $case->[2]: 400");
    is($r->{json}{error}{field}, $case->[1], "naming $case->[1]");
}
$r = req(POST => '/api/auth/password-reset', raw => 'email=x', type => 'application/x-www-form-urlencoded');
is($r->{status}, 415, 'a form body: 415');
$r = req(POST => '/api/auth/password-reset', raw => '{"email":', type => 'application/json');
is($r->{status}, 400, 'broken JSON: 400');
is($r->{json}{error}{code}, 'MALFORMED_JSON', 'MALFORMED_JSON');
is(req(GET => '/api/auth/password-reset')->{status}, 405, 'GET: 405');

# ---------- a staff account's link goes to the admin pages ----------
my $staff = 'staff-' . uniq_email();
my $out = `$bin admin --email $staff --password staff-password-123 --name 'Kitchen Kavya' 2>&1`;
is($? >> 8, 0, 'a staff account') or diag $out;
reset_req($staff);
my $ts = wait_reset_token($staff, 0);
my ($smail) = grep { $_->{headers}{subject} =~ /^Reset your password/ } mails_to($staff);
like($smail->{body}, qr{/admin/password-reset\?token=\Q$ts\E}, "a staff account's link goes to the admin pages' form");
$r = confirm($ts, 'short-pw-1');
is($r->{status}, 400, 'a staff password of 10 characters (outside development): 400');
is($r->{json}{error}{field}, 'password', 'naming password');
like($r->{json}{error}{message}, qr/12 characters/, 'saying 12 characters are needed');
is(confirm($ts, 'staff-password-456')->{status}, 204, 'a long one: 204');
is(login_req($staff, 'staff-password-456')->{status}, 200, 'the staff account signs in with it');

# ---------- the budget per email ----------
my $busy = register_user();
my $bg = uniq_email();
my @answers = map { reset_req($busy->{email})->{content} } 1 .. 7;
push @answers, map { reset_req($bg)->{content} } 1 .. 7;
is(scalar(grep { $_ eq $known->{content} } @answers), 14, 'seven requests for a known and for an unknown email: the same answer every time');
is(one("SELECT count(*) FROM password_resets r JOIN users u ON u.id = r.user_id WHERE u.email = :'p1'", $busy->{email}), 5,
   'only five requests written for the account in the hour (RESET_BUDGET)');
is(one("SELECT requests FROM password_reset_windows WHERE email = :'p1'", $bg), 6, 'the unknown email counted alike (up to the cap)');
wait_for(sub { dispatch(); !one("SELECT count(*) FROM emails WHERE to_address = :'p1' AND state = 'queued'", $busy->{email}) }, 30);
is(reset_mail_count($busy->{email}), 1, 'and one email sent: each request voided the one before it');
psql("UPDATE password_reset_windows SET window_start = now() - interval '61 minutes' WHERE email = :'p1'", $busy->{email});
reset_req($busy->{email});
is(one("SELECT count(*) FROM password_resets r JOIN users u ON u.id = r.user_id WHERE u.email = :'p1'", $busy->{email}), 6,
   'an hour later the account may ask again');

# ---------- the same time, known account or not ----------
# Each request from its own loopback address (nginx's limit is per address), known
# and unknown emails interleaved; the medians must be close.
{
    my @known = map { register_user()->{email} } 1 .. 12;
    my @ghosts = map { uniq_email() } 1 .. 12;
    my $c = client_at('127.0.0.81');
    my (@tk, @tg);
    $c->(POST => '/api/auth/password-reset', json => { email => uniq_email() }) for 1 .. 2;	# warm up
    for my $i (0 .. 11) {
        for my $pair ([\@tk, $known[$i]], [\@tg, $ghosts[$i]]) {
            my $t0 = time;
            my $res = $c->(POST => '/api/auth/password-reset', json => { email => $pair->[1] });
            push @{ $pair->[0] }, time - $t0;
            $res->{status} == 202 or diag "status $res->{status}";
        }
    }
    my $median = sub { my @s = sort { $a <=> $b } @_; ($s[5] + $s[6]) / 2 };
    my ($mk, $mg) = ($median->(@tk), $median->(@tg));
    my $diff = abs($mk - $mg);
    ok($diff < 0.004 + 0.25 * ($mk < $mg ? $mk : $mg),
       sprintf('median time known %.1f ms, unknown %.1f ms: within 4 ms + 25%%', $mk * 1000, $mg * 1000));
    is(one("SELECT count(*) FROM password_resets r JOIN users u ON u.id = r.user_id WHERE u.email = ANY(string_to_array(:'p1', ','))",
           join(',', @known)), 12, 'and the known ones did get their requests');
}

# ---------- nginx: the endpoint's limit per client address ----------
{
    my $c = client_at('127.0.0.82');
    my (%seen, $limited);
    for (1 .. 300) {
        my $res = $c->(POST => '/api/auth/password-reset', json => {});
        $seen{ $res->{status} }++;
        if ($res->{status} == 429) { $limited = $res; last }
    }
    ok($limited, 'requests in a row from one address: 429 past the burst (' . join(', ', map { "$_ x$seen{$_}" } sort keys %seen) . ')');
    is($limited && $limited->{json}{error}{code}, 'RATE_LIMITED', "nginx's 429 speaks the envelope");
    ok($limited && $limited->{headers}{'retry-after'}, 'with Retry-After');
    ok($seen{400} >= 20, "the burst (RESET_BURST=20) passed first ($seen{400})");
    is(client_at('127.0.0.83')->(POST => '/api/auth/password-reset', json => {})->{status}, 400,
       'another address at the same moment: not limited');
    is($c->(GET => '/admin/password-reset')->{status}, 200, 'the admin form itself (a GET) is not counted');
    ok(wait_for(sub { $c->(POST => '/api/auth/password-reset', json => {})->{status} == 400 }, 20), 'the limit drains');
}

done_testing;
