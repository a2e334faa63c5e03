#!/usr/bin/perl
# 11-process.t: the master and its workers: load, crash, restart of the
# database, configuration refusal. Runs against the stack of script/test.
use strict;
use warnings;
use Test::More;
use LaFete::Test;
use POSIX ':sys_wait_h';
use Time::HiRes qw(time sleep);

my $workers = $ENV{WORKERS};
is(scalar(worker_pids()), $workers, "$workers workers running");

# 64 concurrent clients for 10 seconds against the workers: every request answered
{
    my $clients = 64;
    # TLS modules loaded here once, not compiled again by each client after the fork
    # (64 compilations took the whole 10 s on a busy 2-core machine)
    is(req(GET => '/api/health')->{status}, 200, 'health before the load');
    my $until = time + 10;
    my @kids;
    for my $c (1 .. $clients) {
        my $pid = fork // die;
        if (!$pid) {
            my $http = HTTP::Tiny->new(verify_SSL => 0, timeout => 15, keep_alive => 1);
            my ($ok, $bad) = (0, 0);
            # at least one request each, however slow the machine: the count below
            # checks answers, not speed
            do {
                my $res = $http->get("$ENV{BASE_URL}/api/health");
                $res->{status} == 200 ? $ok++ : $bad++;
            } while (time < $until);
            open my $fh, '>', "$ENV{STACK_DIR}/load.$c" or die;
            print $fh "$ok $bad\n";
            exit 0;
        }
        push @kids, $pid;
    }
    waitpid($_, 0) for @kids;
    my ($ok, $bad, $answered) = (0, 0, 0);
    for my $c (1 .. $clients) {
        open my $fh, '<', "$ENV{STACK_DIR}/load.$c" or next;
        my ($o, $b) = split ' ', <$fh>;
        $ok += $o; $bad += $b; $answered++ if $o > 0;
    }
    is($answered, $clients, "load: every one of the $clients clients was answered ($ok requests answered 200)");
    is($bad, 0, 'load: no request failed or hung');
}

# kill -9 of a worker while requests run: the next ones succeed, the count comes back
{
    my ($victim) = worker_pids();
    my $pid = fork // die;
    if (!$pid) {
        my $http = HTTP::Tiny->new(verify_SSL => 0, timeout => 10);
        $http->get("$ENV{BASE_URL}/api/health") for 1 .. 50;
        exit 0;
    }
    kill 'KILL', $victim;
    my $t0 = time;
    my $back = wait_for(sub { my @p = worker_pids(); @p == $workers && !grep { $_ == $victim } @p }, 5);
    my $took = time - $t0;
    ok($back, 'worker replaced');
    cmp_ok($took, '<', 1.0, sprintf('replaced within a second (%.2fs)', $took));
    waitpid($pid, 0);
    my $ok = 0;
    $ok += req(GET => '/api/health')->{status} == 200 for 1 .. 10;
    is($ok, 10, 'requests after the crash succeed');
}

# PostgreSQL stops: 503; it comes back: 200 without restarting the app
SKIP: {
    my $pgdata = "$ENV{STACK_DIR}/pg/data";
    skip 'external database', ($ENV{DB_POOL_MODE} // '') eq 'transaction' ? 5 : 4 unless -d $pgdata;
    my $pgctl = '/usr/lib/postgresql/15/bin/pg_ctl';
    my @as = $> == 0 ? ('runuser', '-u', 'postgres', '--') : ();
    system(@as, $pgctl, '-D', $pgdata, '-m', 'fast', '-w', 'stop') == 0 or die 'pg stop failed';
    my $r = req(GET => '/api/health');
    is($r->{status}, 503, 'health 503 while the database is down');
    is($r->{json}{database}, 'unreachable', 'says which part is down');
    system(@as, $pgctl, '-D', $pgdata, '-l', "$ENV{STACK_DIR}/pg/postgres.log", '-w', 'start',
           '-o', '-p ' . ($ENV{PG_PORT} // $ENV{DB_PORT}) . " -k $ENV{STACK_DIR}/pg/run -c listen_addresses=127.0.0.1 -c fsync=off "
           . ($ENV{PG_EXTRA_OPTS} // '')) == 0
        or die 'pg start failed';
    # a pooler fails logins fast until its own next try at PostgreSQL succeeds (PgBouncer:
    # server_login_retry, on its maintenance tick of a third of a second): wait for it
    if (($ENV{DB_POOL_MODE} // '') eq 'transaction') {
        ok(wait_for(sub { req(GET => '/api/health')->{status} == 200 }, 5), 'the pooler reaches PostgreSQL again');
    }
    # every worker recovers on its own: each request may land on any of them
    my $good = 0;
    $good += req(GET => '/api/health')->{status} == 200 for 1 .. 3 * $workers;
    is($good, 3 * $workers, 'health 200 again on every worker after the restart');
    is(scalar(worker_pids()), $workers, 'no worker was restarted for it');
}

# the master refuses a short JWT secret, with a clear message and exit code 1
{
    my $out = `JWT_SECRET=short FCGI_SOCKET=$ENV{STACK_DIR}/run/other.sock $ENV{LAFETE_BIN} serve 2>&1`;
    is($? >> 8, 1, 'short JWT_SECRET: exit 1');
    like($out, qr/JWT_SECRET must be set and at least 32 bytes/, 'short JWT_SECRET: message');
    $out = `HTTPS_PORT=99999 FCGI_SOCKET=$ENV{STACK_DIR}/run/other.sock $ENV{LAFETE_BIN} check-config 2>&1`;
    is($? >> 8, 1, 'bad port: exit 1');
    $out = `FCGI_SOCKET=/nonexistent/dir/x.sock $ENV{LAFETE_BIN} check-config 2>&1`;
    like($out, qr/FCGI_SOCKET/, 'unwritable socket path named');
    $out = `FCGI_SOCKET=$ENV{FCGI_SOCKET} $ENV{LAFETE_BIN} serve 2>&1`;
    like($out, qr/in use/, 'refuses to steal the socket of a running instance');
    is(req(GET => '/api/health')->{status}, 200, 'the running instance is untouched');
}

# the FastCGI socket: only its owner and group (nginx's) may talk to the workers
{
    my @st = stat $ENV{FCGI_SOCKET};
    is(sprintf('%04o', $st[2] & 07777), '0660', 'the socket is 0660, not open to every local user');
    my $out = `FCGI_SOCKET_GROUP=no-such-group-$$ FCGI_SOCKET=$ENV{STACK_DIR}/run/other.sock $ENV{LAFETE_BIN} check-config 2>&1`;
    is($? >> 8, 1, 'an unknown FCGI_SOCKET_GROUP: exit 1');
    like($out, qr/FCGI_SOCKET_GROUP/, 'naming it');
}

# SIGTERM stops a second instance cleanly, letting its workers finish; its socket
# belongs to FCGI_SOCKET_GROUP when set (root may give it any group)
my ($group, $gid) = $> == 0 ? (getgrgid(65534))[0, 2] : ();
{
    my $sock = "$ENV{STACK_DIR}/run/second.sock";
    my $pid = fork // die;
    if (!$pid) {
        $ENV{FCGI_SOCKET_GROUP} = $group if $group;
        $ENV{FCGI_SOCKET} = $sock; $ENV{WORKERS} = 2;
        open STDERR, '>>', "$ENV{STACK_DIR}/log/second.log";
        exec $ENV{LAFETE_BIN}, 'serve';
    }
    ok(wait_for(sub { -S $sock }, 10), 'second instance listening');
    SKIP: {
        skip 'FCGI_SOCKET_GROUP: not root', 2 unless $group;
        my @st = stat $sock;
        is($st[5], $gid, "its socket's group is FCGI_SOCKET_GROUP ($group)");
        is(sprintf('%04o', $st[2] & 07777), '0660', 'mode 0660');
    }
    # (a child names itself just after the fork: wait until each has)
    if (($ENV{DB_POOL_MODE} // '') eq 'transaction') {
        # behind a transaction pooler nothing can LISTEN: no listener is started
        ok(wait_for(sub { my ($w, $l) = children_of($pid); @$w == 2 && !$l }, 10),
           'second instance has its workers and no listener (DB_POOL_MODE=transaction)');
    } else {
        ok(wait_for(sub { my ($w, $l) = children_of($pid); @$w == 2 && $l }, 10),
           'second instance has its workers and its listener');
    }
    my @kids = @{ (children_of($pid))[0] };
    # SIGHUP replaces the workers gracefully
    kill 'HUP', $pid;
    ok(wait_for(sub { my @n = @{ (children_of($pid))[0] };
                      @n == 2 && !grep { my $k = $_; grep { $_ == $k } @kids } @n }, 10), 'SIGHUP: new generation of workers');
    kill 'TERM', $pid;
    my $t0 = time;
    my $done = wait_for(sub { waitpid($pid, WNOHANG) == $pid }, 15);
    ok($done, 'SIGTERM: master exits');
    is($? >> 8, 0, 'SIGTERM: exit code 0');
    ok(!-e $sock, 'socket removed');
    is(`pgrep -P $pid` // '', '', 'no worker left behind');
}

done_testing;
