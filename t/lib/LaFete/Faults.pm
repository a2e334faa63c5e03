package LaFete::Faults;
# LaFete::Faults: what the fault tests (t/58, t/8x-faults) do to the stack of
# script/test: requests sent in the background while something goes wrong, the
# stack's PostgreSQL stopped and started, a psql session holding row locks, the
# worker serving a database session, the fake SMTP server stopped and started,
# and the fake partners' state. Everything here is outside src/: the app under
# test is the one script/test started, with no test-only code in it.
use strict;
use warnings;
use Exporter 'import';
use HTTP::Tiny;
use IO::Socket::INET;
use IPC::Open2 ();
use JSON::PP;
use POSIX ();
use Time::HiRes qw(time sleep);
use LaFete::Test;

our @EXPORT = qw(in_background finish dispatch_pass pg_stop pg_start pg_restart pg_is_up lock_rows
                 worker_serving smtp_stop smtp_start rzp_api rzp_control borzo_state);

my $json = JSON::PP->new->utf8->canonical->allow_nonref;

# ---- requests in the background ----

# in_background(METHOD, PATH, %req_options): LaFete::Test::req in a child
# process, on a connection of its own. Returns a handle for finish().
sub in_background {
    my @args = @_;
    my $file = sprintf '%s/bg.%d.%d', $ENV{STACK_DIR}, $$, int(rand 1e9);
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        LaFete::Test::reset_client();
        my $r = eval { req(@args) } // { status => 599, content => "died: $@" };
        open my $fh, '>', "$file.tmp" or POSIX::_exit(1);
        print $fh $json->encode({ status => $r->{status}, content => $r->{content} });
        close $fh;
        rename "$file.tmp", $file;
        POSIX::_exit(0);    # no END blocks: Test::More belongs to the parent
    }
    return { pid => $pid, file => $file, started => time };
}

# finish(HANDLE, SECONDS): waits for the background request; {status, content, json, seconds}.
sub finish {
    my ($h, $secs) = @_;
    my $deadline = time + ($secs // 60);
    while (waitpid($h->{pid}, POSIX::WNOHANG()) == 0) {
        if (time > $deadline) { kill 'KILL', $h->{pid}; waitpid($h->{pid}, 0); return { status => 0, content => 'never answered' } }
        sleep 0.05;
    }
    open my $fh, '<', $h->{file} or return { status => 0, content => 'no answer recorded' };
    local $/;
    my $r = $json->decode(<$fh>);
    close $fh;
    unlink $h->{file};
    $r->{json} = eval { $json->decode($r->{content}) };
    $r->{seconds} = time - $h->{started};
    return $r;
}

sub dispatch_pass { req(POST => '/api/internal/dispatch', token => $ENV{DISPATCH_TOKEN}) }

# ---- the stack's PostgreSQL (a private cluster: see script/lib/stack.sh) ----

my $PGBIN = '/usr/lib/postgresql/15/bin';
sub pgdata { "$ENV{STACK_DIR}/pg/data" }
sub as_pg { $> == 0 ? ('runuser', '-u', 'postgres', '--') : () }

sub pg_is_up {
    system('pg_isready', '-q', '-h', '127.0.0.1', '-p', $ENV{DB_PORT}) == 0;
}

# pg_stop(MODE): 'fast' ends every session (as a restart by an operator does),
# 'immediate' is a crash (recovery at the next start).
sub pg_stop {
    my ($mode) = @_;
    system(as_pg(), "$PGBIN/pg_ctl", '-D', pgdata(), '-m', $mode // 'fast', '-w', 'stop') == 0 or die 'pg_ctl stop failed';
}

# The options script/lib/stack.sh starts the cluster with.
sub pg_start {
    system(as_pg(), "$PGBIN/pg_ctl", '-D', pgdata(), '-l', "$ENV{STACK_DIR}/pg/postgres.log", '-w', '-t', '60', 'start',
           '-o', "-p $ENV{DB_PORT} -k $ENV{STACK_DIR}/pg/run -c listen_addresses=127.0.0.1 -c fsync=off "
               . '-c max_connections=100 -c timezone=UTC') == 0 or die 'pg_ctl start failed';
}

sub pg_restart { pg_stop(@_); pg_start() }

# ---- a psql session holding row locks ----

# lock_rows(SQL): a psql session that runs BEGIN and SQL (e.g. SELECT ... FOR
# UPDATE) and keeps the transaction open. Returns {release => sub, pid}.
sub lock_rows {
    my ($sql) = @_;
    local $ENV{PGPASSWORD} = $ENV{DB_PASSWORD};
    my $pid = IPC::Open2::open2(my $out, my $in, 'psql', '-X', '-q', '-tA', '-v', 'ON_ERROR_STOP=1', '-h', $ENV{DB_HOST},
                                '-p', $ENV{DB_PORT}, '-U', $ENV{DB_USERNAME}, '-d', $ENV{DB_NAME});
    $in->autoflush(1);
    print $in "BEGIN;\n$sql;\n\\echo LOCKED\n";
    while (my $line = <$out>) { last if $line =~ /^LOCKED/ }
    return {
        pid => $pid,
        release => sub {
            print $in "COMMIT;\n\\q\n" if kill 0, $pid;
            close $in;
            waitpid($pid, 0);
        },
    };
}

# worker_serving(SQL_CONDITION): the app worker whose database session matches
# the condition on pg_stat_activity (e.g. "wait_event_type = 'Lock'"), by
# following the session's client port to the worker's socket; undef if none.
sub worker_serving {
    my ($cond) = @_;
    my @ports = map { $_->[0] } psql("SELECT client_port FROM pg_stat_activity WHERE application_name = 'lafete' AND $cond");
    return undef unless @ports;
    my %want = map { $_ => 1 } @ports;
    my %inode_port;
    for my $f ('/proc/net/tcp', '/proc/net/tcp6') {
        open my $fh, '<', $f or next;
        while (<$fh>) {
            my @c = split ' ';
            next unless $c[1] && $c[1] =~ /:([0-9A-F]{4})$/;
            $inode_port{ $c[9] } = hex $1;
        }
    }
    for my $w (worker_pids()) {
        opendir my $d, "/proc/$w/fd" or next;
        for my $fd (readdir $d) {
            my $l = readlink "/proc/$w/fd/$fd" or next;
            next unless $l =~ /^socket:\[(\d+)\]$/;
            return $w if defined $inode_port{$1} && $want{ $inode_port{$1} };
        }
    }
    return undef;
}

# ---- the fake SMTP server (started by script/test) ----

# The running fake SMTP: [pid, argv].
sub smtp_fake {
    open my $fh, '<', "$ENV{STACK_DIR}/run/fakes.pid" or die "no fakes.pid";
    for my $pid (map { /(\d+)/ ? $1 : () } <$fh>) {
        open my $c, '<', "/proc/$pid/cmdline" or next;
        local $/;
        my @argv = split /\0/, <$c>;
        return [$pid, \@argv] if grep { m{/smtp\.pl$} } @argv;
    }
    return undef;
}

my $smtp_argv;
# Stops it: connections to its port are refused until smtp_start.
sub smtp_stop {
    my $f = smtp_fake() or die 'the fake SMTP server is not running';
    $smtp_argv = $f->[1];
    kill 'TERM', $f->[0];
    my $deadline = time + 5;
    sleep 0.05 while kill(0, $f->[0]) && time < $deadline;
    kill 'KILL', $f->[0] if kill 0, $f->[0];
}

# Starts it again on the same port and directory, watched by script/test like the first.
sub smtp_start {
    die 'smtp_stop first' unless $smtp_argv;
    my ($port) = $ENV{SMTP_URL} =~ /:(\d+)$/;
    my @argv = @$smtp_argv;
    for my $i (0 .. $#argv - 1) { $argv[$i + 1] = $port if $argv[$i] eq '--port' }
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        POSIX::setsid();
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', '/dev/null';
        open STDERR, '>>', "$ENV{STACK_DIR}/log/fake-smtp.log";
        exec @argv or POSIX::_exit(127);
    }
    open my $fh, '>>', "$ENV{STACK_DIR}/run/fakes.pid" or die;
    print $fh "$pid\n";
    close $fh;
    wait_for(sub { IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => 1) }, 10)
        or die 'the fake SMTP server did not come back';
    undef $smtp_argv;
}

# ---- the fake partners ----

my $plain = HTTP::Tiny->new(timeout => 15);
sub fake_json { my $r = shift; my $v = eval { $json->decode($r->{content}) }; $v }

# rzp_api(METHOD, PATH, BODY): the fake Razorpay's API with the stack's keys.
sub rzp_api {
    my ($m, $path, $body) = @_;
    require MIME::Base64;
    my $auth = 'Basic ' . MIME::Base64::encode_base64("$ENV{RAZORPAY_KEY_ID}:$ENV{RAZORPAY_KEY_SECRET}", '');
    fake_json($plain->request($m, "$ENV{RAZORPAY_API_URL}$path", { headers => { Authorization => $auth,
        'Content-Type' => 'application/json' }, (defined $body ? (content => $json->encode($body)) : ()) }));
}

# rzp_control(PATH, BODY): POST to the fake Razorpay's /_fake/ endpoints.
sub rzp_control { fake_post($ENV{FAKE_RAZORPAY_URL}, @_) }

sub borzo_state { fake_get($ENV{FAKE_BORZO_URL}, '/_fake/state') }

1;
