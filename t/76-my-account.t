#!/usr/bin/perl
# 76-my-account.t: the caller's own account through the API: PATCH /api/me (the
# registration's validation), POST /api/me/password (the current password under the
# sign-in back-off; every other token revoked, a fresh one answered), GET
# /api/me/export (everything held, as an attachment); auth on each.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(sleep);
use LaFete::Test;
use LaFete::Mail;
use LaFete::Fulfil qw(make_order borzo_callback db_one);

my $bin = $ENV{LAFETE_BIN} or BAIL_OUT('LAFETE_BIN unset');
sub patch_me { my ($tok, $body) = @_; req(PATCH => '/api/me', token => $tok, json => $body) }
sub change_pw { my ($tok, $cur, $new) = @_; req(POST => '/api/me/password', token => $tok, json => { currentPassword => $cur, newPassword => $new }) }
sub login_req { req(POST => '/api/auth/login', json => { email => $_[0], password => $_[1] }) }

# ---------- PATCH /api/me ----------
my $u = register_user(name => 'Priya Nair', phone => '9876543210');
my $r = patch_me($u->{token}, { name => '  Priya N. Menon ', phone => '+91 91234-56789' });
is($r->{status}, 200, 'PATCH /api/me: 200') or diag $r->{content};
is($r->{json}{name}, 'Priya N. Menon', 'name trimmed');
is($r->{json}{phone}, '+919123456789', 'phone normalised as registration does');
is($r->{json}{email}, $u->{email}, 'email unchanged');
is_deeply([sort keys %{ $r->{json} }], [sort qw(id email name phone role createdAt)], 'the user as GET /api/me answers it');
is_deeply(req(GET => '/api/me', token => $u->{token})->{json}, $r->{json}, 'and GET /api/me agrees');
$r = patch_me($u->{token}, { name => 'Priya Menon' });
is($r->{json}{name}, 'Priya Menon', 'name alone');
is($r->{json}{phone}, '+919123456789', 'phone kept');
$r = patch_me($u->{token}, { phone => '07012345678' });
is($r->{json}{phone}, '+917012345678', 'phone alone');
is($r->{json}{name}, 'Priya Menon', 'name kept');
$r = patch_me($u->{token}, {});
is($r->{status}, 200, 'nothing to change: 200');
is($r->{json}{name}, 'Priya Menon', 'and nothing changed');
for my $case ([{ phone => '12345' }, 'phone', 'a short phone'], [{ phone => '5876543210' }, 'phone', 'a phone starting with 5'],
              [{ phone => 9876543210 }, 'phone', 'a phone as a number'], [{ phone => '' }, 'phone', 'an empty phone'],
              [{ name => '' }, 'name', 'an empty name'], [{ name => '   ' }, 'name', 'a name of spaces'],
              [{ name => 'n' x 101 }, 'name', 'a name of 101'], [{ name => "a\x{7}b" }, 'name', 'a control character'],
              [{ name => ['x'] }, 'name', 'a name as an array'], [{ email => 'new@example.test' }, 'email', 'an email']) {
    $r = patch_me($u->{token}, $case->[0]);
    is($r->{status}, 400, "$case->[2]: 400");
    is($r->{json}{error}{code}, 'VALIDATION_ERROR', 'VALIDATION_ERROR');
    is($r->{json}{error}{field}, $case->[1], "naming $case->[1]");
}
is(req(GET => '/api/me', token => $u->{token})->{json}{name}, 'Priya Menon', 'refused changes change nothing');
is(req(PATCH => '/api/me', json => { name => 'X' })->{status}, 401, 'PATCH without a token: 401');
is(req(PATCH => '/api/me', token => $u->{token}, raw => 'name=X', type => 'application/x-www-form-urlencoded')->{status}, 415, 'a form body: 415');
$r = patch_me($u->{token}, { role => 'ADMIN', name => 'Priya M' });
is($r->{json}{role}, 'CUSTOMER', 'role is not the caller to set');

# a name is part of the principal every worker keeps: a change shows on the next request
{
    my $boss = 'boss-' . uniq_email();
    my $out = `$bin admin --email $boss --password boss-password-123 --name 'Old Name' 2>&1`;
    is($? >> 8, 0, 'a staff account') or diag $out;
    my $tok = login($boss, 'boss-password-123');
    is(req(GET => '/api/admin/orders', token => $tok)->{status}, 200, 'staff reach the admin API');
    is(patch_me($tok, { name => 'New Name' })->{status}, 200, 'staff rename themselves');
    my @names = map { req(GET => '/api/me', token => $tok)->{json}{name} } 1 .. 6;
    is_deeply(\@names, [('New Name') x 6], 'every worker shows the new name at once');
}

# ---------- POST /api/me/password ----------
my $v = register_user();
my $second = login($v->{email}, $v->{password});
sleep 1.1;	# tokens carry whole seconds: those before the change must be older than it
$r = change_pw($v->{token}, 'not my password', 'a fresh password 1');
is($r->{status}, 401, 'a wrong current password: 401');
is($r->{json}{error}{code}, 'INVALID_CREDENTIALS', 'INVALID_CREDENTIALS');
is($r->{json}{error}{field}, 'currentPassword', 'naming currentPassword');
is(db_one("SELECT failures FROM login_clients WHERE email = :'p1' AND client = '127.0.0.1'", $v->{email}), 1,
   "counted by the sign-in back-off, for this email and this client");
is(req(GET => '/api/me', token => $v->{token})->{status}, 200, 'a wrong current password revokes nothing');
for my $case ([{ currentPassword => $v->{password} }, 'newPassword', 'no new password'],
              [{ newPassword => 'a fresh password 1' }, 'currentPassword', 'no current password'],
              [{ currentPassword => $v->{password}, newPassword => 'short' }, 'newPassword', 'a new password of 5'],
              [{ currentPassword => $v->{password}, newPassword => 'x' x 129 }, 'newPassword', 'a new password of 129'],
              [{ currentPassword => $v->{password}, newPassword => 12345678 }, 'newPassword', 'a number'],
              [{ currentPassword => '', newPassword => 'a fresh password 1' }, 'currentPassword', 'an empty current password']) {
    $r = req(POST => '/api/me/password', token => $v->{token}, json => $case->[0]);
    is($r->{status}, 400, "$case->[2]: 400");
    is($r->{json}{error}{field}, $case->[1], "naming $case->[1]");
}
is(req(POST => '/api/me/password', json => { currentPassword => 'x', newPassword => 'y' x 10 })->{status}, 401, 'without a token: 401');
$r = change_pw($v->{token}, $v->{password}, ' a fresh password 1 ');
is($r->{status}, 200, 'the right current password: 200') or diag $r->{content};
ok($r->{json}{token}, 'a fresh token');
is($r->{json}{user}{id}, $v->{user}{id}, 'and the user');
is(db_one("SELECT failures FROM login_clients WHERE email = :'p1' AND client = '127.0.0.1'", $v->{email}), 0, 'the success resets the count');
is(req(GET => '/api/me', token => $r->{json}{token})->{status}, 200, 'the fresh token works');
my @old = map { req(GET => '/api/me', token => $_)->{status} } ($v->{token}, $second) x 3;
is_deeply(\@old, [(401) x 6], 'the token used and every other one are revoked, on every worker');
is(login_req($v->{email}, $v->{password})->{status}, 401, 'the old password no longer signs in');
is(login_req($v->{email}, ' a fresh password 1 ')->{status}, 200, 'the new one does (spaces count)');
my $fresh = $r->{json}{token};

# the owner is told by email, in the change's transaction (queued with it)
is(db_one("SELECT count(*) FROM emails WHERE user_id = :'p1' AND kind = 'password_changed'", $v->{user}{id}), 1,
   'an email to the owner is queued with the change');
wait_for(sub { dispatch(); grep { $_->{headers}{subject} =~ /^Your password was changed/ } mails_to($v->{email}) }, 20);
my ($told) = grep { $_->{headers}{subject} =~ /^Your password was changed/ } mails_to($v->{email});
ok($told, 'and sent');
unlike($told->{body} // '', qr/reset link/, 'signed in, not by a reset link');
unlike($told->{body} // '', qr/fresh password/, 'the password is nowhere in it');
unlike($told->{body} // '', qr{/admin/}, "a customer is not sent to the staff's pages");

# an open reset link dies with the change
req(POST => '/api/auth/password-reset', json => { email => $v->{email} });
my $link = wait_reset_token($v->{email}, 0);
ok($link, 'a reset link on its way');
is(change_pw($fresh, ' a fresh password 1 ', 'a third password')->{status}, 200, 'password changed again');
is(req(POST => '/api/auth/password-reset/confirm', json => { token => $link, password => 'from the link' })->{json}{error}{code},
   'RESET_TOKEN_INVALID', 'the reset link sent before the change is void');

# the back-off: the fifth wrong current password locks this client for the email, as a sign-in would
{
    my $w = register_user();
    my @st = map { change_pw($w->{token}, "wrong $_", 'a fresh password 2')->{status} } 1 .. 5;
    is_deeply(\@st, [401, 401, 401, 401, 401], 'five wrong current passwords: 401 each');
    $r = change_pw($w->{token}, $w->{password}, 'a fresh password 2');
    is($r->{status}, 429, 'then even the right one: 429');
    is($r->{json}{error}{code}, 'TOO_MANY_ATTEMPTS', 'TOO_MANY_ATTEMPTS');
    like($r->{headers}{'retry-after'} // '', qr/^\d+$/, 'Retry-After');
    is(login_req($w->{email}, $w->{password})->{status}, 429, 'and the sign-in from this client is locked too: one back-off');
    is(req(GET => '/api/me', token => $w->{token})->{status}, 200, 'the session itself lives on');
}

# a staff password follows ADMIN_PASSWORD's rule outside development
{
    my $boss = 'boss2-' . uniq_email();
    `$bin admin --email $boss --password boss-password-123 2>&1`;
    my $tok = login($boss, 'boss-password-123');
    $r = change_pw($tok, 'boss-password-123', 'short-pw-1');
    is($r->{status}, 400, 'staff, a new password of 10: 400');
    is($r->{json}{error}{field}, 'newPassword', 'naming newPassword');
    is(db_one("SELECT count(*) FROM login_clients WHERE email = :'p1' AND failures > 0", $boss), 0, 'and no attempt counted');
    is(change_pw($tok, 'boss-password-123', 'change-me-now')->{status}, 400, 'staff, a known default: 400');
    is(change_pw($tok, 'boss-password-123', 'boss-password-456')->{status}, 200, 'staff, a long one: 200');
}

# ---------- GET /api/me/export ----------
my $o = make_order(name => 'Export Esha', message => 'Happy 7th, Kabir', gift => 1, gift_message => 'From Esha');
my $x = $o->{user};
is(req(POST => "/api/delivery/book/$o->{id}", token => admin_token())->{status}, 200, 'a paid order, booked');
wait_for(sub { dispatch(); !db_one("SELECT count(*) FROM emails WHERE order_id = :'p1' AND state = 'queued'", $o->{id}) }, 30);
my $addr = req(POST => '/api/addresses', token => $x->{token}, json => {
    label => 'Work', street => '7 Export Street', city => 'Bengaluru', pincode => '560001', latitude => 12.97, longitude => 77.6 });
is($addr->{status}, 201, 'an address');
my ($vid) = psql_row("SELECT v.id FROM variants v JOIN products p ON p.id = v.product_id WHERE p.is_available AND v.is_available "
                     . "AND p.archived_at IS NULL AND v.archived_at IS NULL LIMIT 1");
is(req(POST => '/api/cart', token => $x->{token}, json => { variantId => $vid, quantity => 2 })->{status}, 201, 'a cart line');
req(POST => '/api/auth/login', json => { email => $x->{email}, password => 'a wrong one' });
$r = req(GET => '/api/me/export', token => $x->{token});
is($r->{status}, 200, 'export: 200') or diag $r->{content};
like($r->{headers}{'content-type'}, qr{^application/json}, 'JSON');
like($r->{headers}{'content-disposition'} // '', qr/^attachment; filename="lafete365-account-\d{4}-\d\d-\d\d\.json"$/, 'as an attachment');
is($r->{headers}{'cache-control'}, 'no-store', 'never cached');
my $d = $r->{json};
is_deeply([sort keys %$d], [sort qw(exportedAt account addresses cart orders refunds emails passwordResets invoices signIns)], 'every part');
is($d->{account}{id}, $x->{user}{id}, 'the account');
is($d->{account}{email}, $x->{email}, 'its email');
is($d->{account}{name}, 'Asha Rao', 'its name');
is($d->{account}{phone}, '+919876543210', 'its phone');
is(scalar @{ $d->{addresses} }, 1, 'the address');
is($d->{addresses}[0]{street}, '7 Export Street', 'with its street');
is($d->{cart}[0]{quantity}, 2, 'the cart');
is(scalar @{ $d->{orders} }, 1, 'the order');
my $eo = $d->{orders}[0];
is($eo->{id}, $o->{id}, 'by id');
is($eo->{customMessage}, 'Happy 7th, Kabir', 'its inscription');
is($eo->{giftMessage}, 'From Esha', 'its gift message');
is($eo->{address}{name}, 'Export Esha', 'its address snapshot');
is(scalar @{ $eo->{items} }, 2, 'its items');
is($eo->{payment}{status}, 'CAPTURED', "its payment's status");
is($eo->{payment}{amount}, '1899.50', 'and amount');
ok($eo->{delivery} && $eo->{delivery}{status}, "its delivery ($eo->{delivery}{status})");
ok(@{ $eo->{statusHistory} } >= 1, 'its history');
like($eo->{trackingUrl}, qr{/track/\Q$o->{token}\E$}, 'its tracking link');
my @kinds = sort map { $_->{kind} } @{ $d->{emails} };
ok((grep { $_ eq 'on_the_way' } @kinds), 'the emails sent: ' . join(', ', @kinds));
my ($otw) = grep { $_->{kind} eq 'on_the_way' } @{ $d->{emails} };
is($otw->{to}, $x->{email}, 'to whom');
is($otw->{state}, 'sent', 'sent');
like($otw->{body}, qr/Hello Asha Rao/, 'what they said');
ok($otw->{sentAt}, 'when');
is_deeply($d->{refunds}, [], 'no refunds');
ok((grep { $_->{client} eq '127.0.0.1' && $_->{failures} == 1 } @{ $d->{signIns} }), 'the addresses sign-ins were counted for');
unlike($r->{content}, qr/argon2|password_hash|token_hash/i, 'no password or token hash');

# the reset email is exported without its link
req(POST => '/api/auth/password-reset', json => { email => $x->{email} });
my $xt = wait_reset_token($x->{email}, 0);
$d = req(GET => '/api/me/export', token => $x->{token})->{json};
my ($rm) = grep { $_->{kind} eq 'password_reset' } @{ $d->{emails} };
ok($rm && $rm->{state} eq 'sent', 'the reset email is listed');
unlike($rm->{body}, qr/\Q$xt\E/, 'without its link');
is(scalar @{ $d->{passwordResets} }, 1, 'and the request');
ok($d->{passwordResets}[0]{expiresAt}, 'with its expiry');

# only the caller's own
my $y = register_user();
$d = req(GET => '/api/me/export', token => $y->{token})->{json};
is_deeply([map { scalar @{ $d->{$_} } } qw(orders addresses cart emails refunds passwordResets)], [0, 0, 0, 0, 0, 0],
          "another customer's export holds nothing of this one");
is(req(GET => '/api/me/export')->{status}, 401, 'export without a token: 401');
is(req(POST => '/api/me/export', token => $y->{token})->{status}, 405, 'POST: 405');

done_testing;
