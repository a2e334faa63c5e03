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
                 worker_serving smtp_stop smtp_start rzp_api rzp_control borzo_state
                 shopper slot_at booked_units place_order order_stuck_mid_transaction orders_with_key
                 start_instance stop_instance fcgi);

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
# UPDATE, or an INSERT others will wait on) and keeps the transaction open.
# Returns {release => sub, pid}: release rolls it back and ends the session.
sub lock_rows {
    my ($sql) = @_;
    local $ENV{PGPASSWORD} = $ENV{DB_PASSWORD};
    # its complaints when the fault takes its session down are expected: not in the test's output
    open my $saved, '>&', \*STDERR or die;
    open STDERR, '>', '/dev/null' or die;
    my $pid = IPC::Open2::open2(my $out, my $in, 'psql', '-X', '-q', '-tA', '-v', 'ON_ERROR_STOP=1', '-h', $ENV{DB_HOST},
                                '-p', $ENV{DB_PORT}, '-U', $ENV{DB_USERNAME}, '-d', $ENV{DB_NAME});
    open STDERR, '>&', $saved or die;
    $in->autoflush(1);
    print $in "BEGIN;\n$sql;\n\\echo LOCKED\n";
    while (my $line = <$out>) { last if $line =~ /^LOCKED/ }
    return {
        pid => $pid,
        release => sub {
            print $in "ROLLBACK;\n\\q\n" if kill 0, $pid;
            close $in;
            waitpid($pid, 0);
        },
    };
}

# worker_serving(SQL_CONDITION): (the app worker, its backend's pid) whose
# database session matches the condition on pg_stat_activity (e.g.
# "wait_event_type = 'Lock'"), by following the session's client port to the
# worker's socket; () if none.
sub worker_serving {
    my ($cond) = @_;
    my %want = map { $_->[0] => $_->[1] } psql("SELECT client_port, pid FROM pg_stat_activity WHERE application_name = 'lafete' AND $cond");
    return unless %want;
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
            return ($w, $want{ $inode_port{$1} }) if defined $inode_port{$1} && $want{ $inode_port{$1} };
        }
    }
    return;
}

# ---- the fake SMTP server (started by script/test) ----

sub cmdline { open my $c, '<', "/proc/$_[0]/cmdline" or return (); local $/; split /\0/, (<$c> // '') }
sub ppid_of { open my $s, '<', "/proc/$_[0]/stat" or return 0; my $l = <$s> // ''; $l =~ /^\d+ \(.*?\) \S+ (\d+)/ ? $1 : 0 }

# The fake SMTP server serving FAKE_SMTP_DIR (script/test's, or one smtp_start
# started in its place): [pid, argv, the children serving connections].
sub smtp_fake {
    my (%argv, @sinks);
    for my $pid (map { m{^/proc/(\d+)$} ? $1 : () } glob '/proc/[0-9]*') {
        my @a = cmdline($pid);
        next unless grep({ m{/smtp\.pl$} } @a) && grep({ $_ eq $ENV{FAKE_SMTP_DIR} } @a);
        $argv{$pid} = \@a;
    }
    my @listeners = grep { !$argv{ ppid_of($_) } } keys %argv;
    return undef unless @listeners == 1;
    my $l = $listeners[0];
    return [$l, $argv{$l}, [ grep { ppid_of($_) == $l } keys %argv ]];
}

# Stops it, and its children: libcurl keeps a worker's SMTP connection open, and
# the child serving it would go on accepting mail. Connections are refused until
# smtp_start. 1, or 0 when none was running.
sub smtp_stop {
    my $f = smtp_fake() or return 0;
    kill 'TERM', $f->[0], @{ $f->[2] };
    my $deadline = time + 5;
    sleep 0.05 while grep({ kill 0, $_ } $f->[0], @{ $f->[2] }) && time < $deadline;
    kill 'KILL', $f->[0], @{ $f->[2] };
    return 1;
}

# Starts one on SMTP_URL's port and FAKE_SMTP_DIR. It watches no parent (--parent 0:
# a fake whose parent is gone exits, and this test's process ends before the stack);
# its pid goes to run/fakes.pid, so script/test's stack_stop ends it with the rest.
sub smtp_start {
    my ($port) = $ENV{SMTP_URL} =~ /:(\d+)$/;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        POSIX::setsid();
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', '/dev/null';
        open STDERR, '>>', "$ENV{STACK_DIR}/log/fake-smtp.log";
        exec $^X, "$ENV{ROOT}/t/fakes/smtp.pl", '--port', $port, '--dir', $ENV{FAKE_SMTP_DIR}, '--parent', 0
            or POSIX::_exit(127);
    }
    open my $fh, '>>', "$ENV{STACK_DIR}/run/fakes.pid" or die;
    print $fh "$pid\n";
    close $fh;
    wait_for(sub { IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => 1) }, 10)
        or die 'the fake SMTP server did not come back';
}

# ---- a second app instance, spoken to over FastCGI directly (as t/35 does) ----

my $instances = 0;

# start_instance(ENV...): `lafete serve` with one worker on a socket of its own,
# the stack's configuration plus ENV, logging to log/app-<name>.log.
sub start_instance {
    my (%env) = @_;
    my $name = delete $env{NAME} // 'second';
    # a socket of its own each time: an instance started after another must not be
    # taken as up because the last one's socket file is still there
    my $sock = "$ENV{STACK_DIR}/run/$name-$$-" . ++$instances . '.sock';
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        $ENV{$_} = $env{$_} for keys %env;
        @ENV{qw(FCGI_SOCKET WORKERS)} = ($sock, 1);
        open STDOUT, '>>', "$ENV{STACK_DIR}/log/app-$name.log" or POSIX::_exit(1);
        open STDERR, '>&', \*STDOUT;
        exec $ENV{LAFETE_BIN}, 'serve' or POSIX::_exit(127);
    }
    wait_for(sub { -S $sock }, 20) or die 'the second instance did not start';
    return { pid => $pid, sock => $sock, log => "$ENV{STACK_DIR}/log/app-$name.log" };
}

sub stop_instance {
    my ($i) = @_;
    kill 'TERM', $i->{pid};
    return wait_for(sub { waitpid($i->{pid}, POSIX::WNOHANG()) == $i->{pid} }, 20);
}

# fcgi(INSTANCE, METHOD, URI, TOKEN, CONTENT_TYPE, BODY): one request through cgi-fcgi; {status, head, body, json}.
sub fcgi {
    my ($inst, $method, $uri, $token, $ct, $body) = @_;
    my $file = "$ENV{STACK_DIR}/run/fcgi-body.$$";
    open my $fh, '>:raw', $file or die;
    print $fh $body // '';
    close $fh;
    my ($path, $query) = split /\?/, $uri, 2;
    my $out = do {
        local %ENV = (PATH => $ENV{PATH}, REQUEST_METHOD => $method, DOCUMENT_URI => $path, REQUEST_URI => $uri,
                      QUERY_STRING => $query // '', CONTENT_LENGTH => length($body // ''), REMOTE_ADDR => '127.0.0.1',
                      ($ct ? (CONTENT_TYPE => $ct) : ()), ($token ? (HTTP_AUTHORIZATION => "Bearer $token") : ()));
        open my $p, '-|', "cgi-fcgi -bind -connect '$inst->{sock}' < '$file'" or die "cgi-fcgi: $!";
        local $/;
        my $o = <$p>;
        close $p;
        $o // '';
    };
    unlink $file;
    my ($head, $content) = split /\r\n\r\n/, $out, 2;
    my ($status) = ($head // '') =~ /^Status: (\d+)/m;
    return { status => $status // 0, head => $head, body => $content, json => json_of($content // '') };
}

# ---- a customer about to check out ----

my $seq = 0;
# shopper(): a customer registered through the API, with an address in the
# delivery area and a cart of two cakes of a fresh product (1 kitchen unit each).
sub shopper {
    my $u = register_user();
    my $uid = $u->{user}{id};
    my $tag = sprintf '%d-%d-%d', $$, ++$seq, int(rand 1e9);
    my ($pid) = psql_row("INSERT INTO products (slug, name, base_price, lead_time_hours) "
                         . "VALUES (:'p1', 'Fault cake', 500, 24) RETURNING id", "fault-$tag");
    my ($vid) = psql_row("INSERT INTO variants (product_id, label, weight_grams, price, kitchen_units) "
                         . "VALUES (:'p1', '500 g', 500, 500.00, 1) RETURNING id", $pid);
    my ($aid) = psql_row("INSERT INTO addresses (user_id, label, street, city, pincode, latitude, longitude) "
                         . "VALUES (:'p1', 'Home', '1 MG Road', 'Bengaluru', '560001', 12.93521, 77.62447) RETURNING id", $uid);
    my ($cid) = psql_row("INSERT INTO carts (user_id) VALUES (:'p1') ON CONFLICT (user_id) DO UPDATE SET updated_at = now() "
                         . "RETURNING id", $uid);
    psql("INSERT INTO cart_items (cart_id, variant_id, quantity) VALUES (:'p1', :'p2', 2)", $cid, $vid);
    return { %$u, uid => $uid, address_id => $aid, variant => $vid, cart_id => $cid };
}

# slot_at(DAYS, 'HH:MM:SS'): a slot start DAYS days ahead in Asia/Kolkata.
sub slot_at {
    my ($days, $hms) = @_;
    return POSIX::strftime('%Y-%m-%d', gmtime(time + 19800 + $days * 86400)) . "T$hms+05:30";
}

sub booked_units {
    (psql_row("SELECT coalesce((SELECT booked_units FROM delivery_slots WHERE slot_start = :'p1'::timestamptz), 0)", $_[0]))[0];
}

# place_order(SHOPPER, SLOT, KEY): POST /api/orders with that Idempotency-Key.
sub place_order {
    my ($s, $slot, $key, %o) = @_;
    my @req = (POST => '/api/orders', token => $s->{token}, headers => { 'Idempotency-Key' => $key },
               json => { addressId => $s->{address_id}, deliverySlot => $slot });
    return $o{background} ? in_background(@req) : req(@req);
}

sub orders_with_key { (psql_row("SELECT count(*) FROM orders WHERE user_id = :'p1' AND idempotency_key = :'p2'", @_))[0] }

# order_stuck_mid_transaction(SHOPPER, SLOT, KEY): the shopper's order sent in the
# background while a psql session holds an uncommitted order with the same
# idempotency key, so the app's INSERT waits on it with the cart locked and the
# slot's units booked. Returns (background handle, psql session, worker, its backend).
sub order_stuck_mid_transaction {
    my ($s, $slot, $key) = @_;
    my $held = lock_rows("INSERT INTO orders (user_id, address, subtotal, delivery_fee, total_amount, delivery_slot, "
                         . "slot_units, tracking_token, idempotency_key) VALUES ('$s->{uid}', '{}', 1, 0, 1, now() + interval "
                         . "'30 days', 1, md5(random()::text), '$key')");
    my $bg = place_order($s, $slot, $key, background => 1);
    my ($worker, $backend);
    wait_for(sub { ($worker, $backend) = worker_serving("wait_event_type = 'Lock'"); $worker }, 15);
    return ($bg, $held, $worker, $backend);
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
