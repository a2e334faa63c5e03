#!/usr/bin/perl
# 38-worker-memory.t: what workers keep in memory (bearer tokens' principals, the
# catalog's version) follows every change: the app's own writes on the next
# request, writes made elsewhere (SQL, another host) as soon as the listener's
# notification arrives, and nothing goes stale while the listener is down.
# With DB_POOL_MODE=transaction (script/test --pgbouncer) there is no listener and
# workers read everything every time: every change is seen on the next request.
use strict;
use warnings;
use Test::More;
use HTTP::Tiny;
use LaFete::Test;
use LaFete::Admin qw(admin_session post_form);

# each request on a fresh connection: nginx spreads them over every worker
sub statuses {
    my ($path, $token, $n) = @_;
    map {
        HTTP::Tiny->new(verify_SSL => 0, timeout => 10)
            ->get(base_url() . $path, { headers => { Authorization => "Bearer $token" } })->{status}
    } 1 .. $n;
}
sub all_are {
    my ($want, $what, @got) = @_;
    my @bad = grep { $_ != $want } @got;
    ok(!@bad, "$what: all " . scalar(@got) . " answers $want") or diag("got @got");
}

my $pooled = ($ENV{DB_POOL_MODE} // '') eq 'transaction';
if ($pooled) {
    ok(!listener_pid(), 'no listener behind a transaction pooler (a pooled session cannot LISTEN)');
} else {
    ok(listener_pid(), 'the master runs a listener');
}
my @workers = worker_pids();
ok(@workers >= 2, scalar(@workers) . ' workers');

# the app's own revocation: an admin signing out on the pages
{
    my $token = login($ENV{ADMIN_EMAIL}, $ENV{ADMIN_PASSWORD});
    all_are(200, 'an API token before the sign-out (every worker keeps its principal)',
            statuses('/api/me', $token, 12));
    my $s = admin_session();
    sleep 1;    # tokens carry whole seconds: the revoked one must be older than the sign-out
    is(post_form('/admin/logout', $s)->{status}, 303, 'signed out on the pages');
    all_are(401, 'the same token right after, on every worker', statuses('/api/me', $token, 12));
}

# the app's own writes need no notification: with the listener frozen (its last
# beat still trusted for 3 s), a rename through the admin API is seen at once
{
    my $admin = login($ENV{ADMIN_EMAIL}, $ENV{ADMIN_PASSWORD});
    my $tag = 'memo' . $$ . int(rand 1e6);
    my $r = req(POST => '/api/admin/products', token => $admin, json => {
        name => "Plum Cake $tag", basePrice => '799.00', leadTimeHours => 24, isAvailable => JSON::PP::true,
        variants => [ { label => '500 g', weightGrams => 500, price => '799.00' } ] });
    is($r->{status}, 201, 'a product');
    my $id = $r->{json}{id};
    my @bodies = map { HTTP::Tiny->new(verify_SSL => 0)->get(base_url() . "/api/products/$id")->{content} } 1 .. 8;
    is(scalar(grep { /Plum Cake/ } @bodies), 8, 'every worker keeps it');
    my $listener = listener_pid();
    kill 'STOP', $listener if $listener;
    my $t0 = time;
    $r = req(PATCH => "/api/admin/products/$id", token => $admin, json => { name => "Pear Cake $tag" });
    @bodies = map { HTTP::Tiny->new(verify_SSL => 0)->get(base_url() . "/api/products/$id")->{content} } 1 .. 8;
    my $took = time - $t0;
    kill 'CONT', $listener if $listener;
    is($r->{status}, 200, $pooled ? 'renamed' : 'renamed while the listener is frozen');
    is(scalar(grep { /Pear Cake/ } @bodies), 8, 'seen by every worker on the next requests');
    diag("took ${took}s: past 3 s the workers stopped trusting the frozen listener") if $took >= 3;
}

# a role changed with SQL (no request of the app saw it)
{
    my $u = register_user();
    psql("UPDATE users SET role = 'ADMIN' WHERE id = :'p1'", $u->{user}{id});
    my $token = login($u->{email}, $u->{password});
    all_are(200, 'a promoted user reads the admin API', statuses('/api/admin/products', $token, 12));
    psql("UPDATE users SET role = 'CUSTOMER' WHERE id = :'p1'", $u->{user}{id});
    if ($pooled) {
        # nothing kept, nothing to wait for: the very next request reads the role
        all_are(403, 'demoted with SQL: refused at once by every worker', statuses('/api/admin/products', $token, 12));
    } else {
        ok(wait_for(sub { (statuses('/api/admin/products', $token, 1))[0] == 403 }, 2), 'demoted with SQL: refused within 2 s');
        all_are(403, 'then on every worker', statuses('/api/admin/products', $token, 12));
    }
    psql("UPDATE users SET deleted_at = now() WHERE id = :'p1'", $u->{user}{id});
    if ($pooled) {
        all_are(401, 'deleted with SQL: refused at once by every worker', statuses('/api/me', $token, 12));
    } else {
        ok(wait_for(sub { (statuses('/api/me', $token, 1))[0] == 401 }, 2), 'deleted with SQL: refused within 2 s');
    }
}

# the listener dies: the master restarts it, and meanwhile workers read everything
SKIP: {
    skip 'no listener with DB_POOL_MODE=transaction', 5 if $pooled;
    my $old = listener_pid();
    my $u = register_user();
    my $token = login($u->{email}, $u->{password});
    all_are(200, 'a customer reads /api/me', statuses('/api/me', $token, 6));
    kill 'KILL', $old;
    ok(wait_for(sub { my $l = listener_pid(); $l && $l != $old }, 5), 'a new listener');
    psql("UPDATE users SET deleted_at = now() WHERE id = :'p1'", $u->{user}{id});
    ok(wait_for(sub { (statuses('/api/me', $token, 1))[0] == 401 }, 2), 'a change while it restarts is seen');
    all_are(401, 'by every worker', statuses('/api/me', $token, 12));
    my $log = do { local $/; open my $fh, '<', "$ENV{STACK_DIR}/log/app.log" or die; <$fh> };
    like($log, qr/listener \Q$old\E died of signal 9; restarting it/, 'the death is logged');
}

done_testing;
