#!/usr/bin/perl
# 67-admin-account.t: a staff member's own password on the admin pages: "Forgot
# password?" from /admin/login (the email form, the emailed link, the new-password
# form; the same page for any email), and the password change on /admin/account
# (the current password under the sign-in back-off, the other sessions signed out).
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(sleep);
use LaFete::Test;
use LaFete::Admin;
use LaFete::Mail;

my $bin = $ENV{LAFETE_BIN} or BAIL_OUT('LAFETE_BIN unset');
my $staff = 'kitchen-' . uniq_email();
my $out = `$bin admin --email $staff --password kitchen-password-1 --name 'Kitchen Kamala' 2>&1`;
is($? >> 8, 0, 'a staff account') or diag $out;

# an anonymous form of the reset pages: its nonce cookie and token
sub reset_form {
    my ($path) = @_;
    my $r = req(GET => $path // '/admin/password-reset');
    my ($c) = set_cookies($r);
    my ($csrf) = $r->{content} =~ /name="csrf" value="([0-9a-f]+)"/;
    return { cookie => "lafete_csrf=$c->{lafete_csrf}", csrf => $csrf, res => $r };
}

# ---------- Forgot password? ----------
like(req(GET => '/admin/login')->{content}, qr{<a href="/admin/password-reset">Forgot password\?</a>}, 'the sign-in page links to it');
my $f = reset_form();
is($f->{res}{status}, 200, 'the email form: 200');
like($f->{res}{content}, qr/<label for="email">Email<\/label>/, 'a labelled email input');
ok($f->{csrf}, 'with a form token');
my $sent = post_form('/admin/password-reset', $f, email => uc $staff);
is($sent->{status}, 200, 'asked for a link: 200');
like($sent->{content}, qr/If an account has this email, a link to choose a new password is on its way/, 'the answer');
my $ghost = post_form('/admin/password-reset', $f, email => uniq_email());
is($ghost->{status}, 200, 'an unknown email: 200');
(my $a1 = $sent->{content}) =~ s/value="[0-9a-f]+"/value=""/g;
(my $a2 = $ghost->{content}) =~ s/value="[0-9a-f]+"/value=""/g;
is($a2, $a1, 'the same page');
is(post_form('/admin/password-reset', $f, email => $staff, csrf => '-')->{status}, 403, 'without the form token: 403');
my $bad = post_form('/admin/password-reset', $f, email => 'not an email');
is($bad->{status}, 400, 'not an email: 400');
like($bad->{content}, qr/Type the email address of your account/, 'says so on the form');

my $token = wait_reset_token($staff, 0);
ok($token, 'the link was emailed') or BAIL_OUT('no reset email');
my ($mail) = grep { $_->{headers}{subject} =~ /^Reset your password/ } mails_to($staff);
like($mail->{body}, qr/^Hello Kitchen Kamala,/, 'to the staff member by name');
my ($link) = $mail->{body} =~ m{(https://\S+/admin/password-reset\?token=\S+)};
ok($link, "the link goes to the admin pages: $link");

my $old = LaFete::Admin::_session($staff, 'kitchen-password-1');
ok($old->{cookie}, 'a session signed in with the old password');
my $c = reset_form("/admin/password-reset?token=$token");
is($c->{res}{status}, 200, 'the link opens the new-password form');
like($c->{res}{content}, qr/name="token" value="\Q$token\E"/, 'carrying the token');
like($c->{res}{content}, qr/At least 12 characters/, "with a staff password's rule");
like($c->{res}{content}, qr/<label for="password2">/, 'and a labelled second typing');
my $dead = reset_form('/admin/password-reset?token=' . ('A' x 43));
is($dead->{res}{status}, 400, 'an unknown token: 400');
like($dead->{res}{content}, qr/invalid, used or expired/, 'says so, with the email form again');

my $r = post_form('/admin/password-reset/confirm', $c, token => $token, password => 'kitchen-password-2', password2 => 'kitchen-password-3');
is($r->{status}, 400, 'two different typings: 400');
like($r->{content}, qr/differ/, 'says so');
$r = post_form('/admin/password-reset/confirm', $c, token => $token, password => 'short-pw-1', password2 => 'short-pw-1');
is($r->{status}, 400, 'a staff password of 10: 400');
like($r->{content}, qr/at least 12 characters/, 'says so');
is(post_form('/admin/password-reset/confirm', $c, token => $token, password => 'kitchen-password-2', password2 => 'kitchen-password-2', csrf => '-')->{status},
   403, 'without the form token: 403');
sleep 1.1;	# tokens carry whole seconds: the old session must be older than the reset
$r = post_form('/admin/password-reset/confirm', $c, token => $token, password => 'kitchen-password-2', password2 => 'kitchen-password-2');
is($r->{status}, 303, 'the new password: 303');
is($r->{headers}{location}, '/admin/login?m=password_reset', 'to the sign-in page');
like(req(GET => $r->{headers}{location})->{content}, qr/Your password is changed/, 'which says so');
is(page('/admin/orders', $old)->{status}, 303, 'the session signed in before is over');
ok(!LaFete::Admin::_session($staff, 'kitchen-password-1')->{cookie}, 'the old password no longer signs in');
wait_for(sub { dispatch(); grep { $_->{headers}{subject} =~ /^Your password was changed/ } mails_to($staff) }, 20);
my ($told) = grep { $_->{headers}{subject} =~ /^Your password was changed/ } mails_to($staff);
like($told->{body} // '', qr{"Forgot password\?" on the sign-in page \(https://\S+/admin/login\)}, 'staff are told, with the admin sign-in page to start a reset from');
my $s = LaFete::Admin::_session($staff, 'kitchen-password-2');
ok($s->{cookie}, 'the new one does');
$r = post_form('/admin/password-reset/confirm', $c, token => $token, password => 'kitchen-password-4', password2 => 'kitchen-password-4');
is($r->{status}, 400, 'the link a second time: 400');
like($r->{content}, qr/invalid, used or expired/, 'it works once');

# ---------- /admin/account: the password change ----------
is(req(GET => '/admin/account')->{status}, 303, 'anonymous: to the sign-in');
is(page('/admin/account', customer_session())->{status}, 403, 'a customer: 403');
my $p = page('/admin/account', $s);
is($p->{status}, 200, 'the account page');
like($p->{content}, qr/Kitchen Kamala/, 'names the account');
like($p->{content}, qr{<a href="/admin/account" aria-current="page">Account</a>}, 'in the navigation');
like($p->{content}, qr/<label for="current">Current password<\/label>/, 'a labelled current password');
my $second = LaFete::Admin::_session($staff, 'kitchen-password-2');
my $api = login($staff, 'kitchen-password-2');
sleep 1.1;
$r = post_form('/admin/account/password', $s, current => 'not my password', password => 'kitchen-password-5', password2 => 'kitchen-password-5');
is($r->{status}, 401, 'a wrong current password: 401');
like($r->{content}, qr/The current password is wrong/, 'says so');
is((psql_row("SELECT failures FROM login_clients WHERE email = :'p1' AND client = '127.0.0.1'", $staff))[0], 1, 'counted by the sign-in back-off');
$r = post_form('/admin/account/password', $s, current => 'kitchen-password-2', password => 'kitchen-password-5', password2 => 'other-password-5');
is($r->{status}, 400, 'two different typings: 400');
$r = post_form('/admin/account/password', $s, current => 'kitchen-password-2', password => 'change-me-now', password2 => 'change-me-now');
is($r->{status}, 400, 'a known default: 400');
like($r->{content}, qr/must not be a known default/, 'says so');
is(post_form('/admin/account/password', $s, current => 'kitchen-password-2', password => 'kitchen-password-5', password2 => 'kitchen-password-5', csrf => '-')->{status},
   403, 'without the form token: 403');
$r = post_form('/admin/account/password', $s, current => 'kitchen-password-2', password => 'kitchen-password-5', password2 => 'kitchen-password-5');
is($r->{status}, 303, 'changed: 303');
is($r->{headers}{location}, '/admin/account?m=password_changed', 'back to the account page');
my ($nc) = set_cookies($r);
ok($nc->{lafete_admin}, 'with a fresh session cookie');
my $fresh = { cookie => "lafete_admin=$nc->{lafete_admin}; lafete_csrf=" . ($s->{cookie} =~ /lafete_csrf=([^;]+)/)[0] };
like(page('/admin/account?m=password_changed', $fresh)->{content}, qr/Password changed/, 'this browser stays signed in');
is(page('/admin/orders', $second)->{status}, 303, 'the other browser is signed out');
is(req(GET => '/api/me', token => $api)->{status}, 401, 'and so is the API token');
ok(LaFete::Admin::_session($staff, 'kitchen-password-5')->{cookie}, 'the new password signs in');

done_testing;
