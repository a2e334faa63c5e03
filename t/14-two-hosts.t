#!/usr/bin/perl
# 14-two-hosts.t: the shop on two app hosts behind one nginx, for real. Each host is a
# network namespace of its own (ip netns, a veth pair, 10.213.N.0/30 and .4/30 made and
# removed here) running `lafete serve` with FCGI_LISTEN on its address and FCGI_ALLOW the
# nginx side's; nginx runs here with the stack's TLS and script/nginx-conf's upstream of
# both hosts. The stack's PostgreSQL and fake partners listen on 127.0.0.1 only: socat
# forwards each one's port from the root side of each veth, so the hosts reach them over
# the link, as a remote host would.
#
# Under ~10 s of GETs and order placements (distinct Idempotency-Keys), host A's master
# is SIGKILLed (its workers finish and go, its port closes) and started again: no GET
# sees an error (nginx sends it to B), each order the clients saw accepted is in the
# database exactly once and no other, and A takes traffic again. Then four dispatch
# passes run at once through nginx, on both hosts: each due courier is booked once.
use strict;
use warnings;
use Test::More;
use File::Path qw(make_path);
use HTTP::Tiny;
use IO::Socket::INET;
use JSON::PP;
use POSIX qw(:sys_wait_h strftime);
use Time::HiRes qw(time sleep);
use LaFete::Test;
use LaFete::Fulfil;
use LaFete::FCGI;

plan skip_all => 'needs root for network namespaces (CI runs as root)' if $> != 0;
for my $tool (qw(ip socat nginx)) {
    plan skip_all => "needs $tool (script/bootstrap installs it)" unless grep { -x "$_/$tool" } split /:/, $ENV{PATH};
}
my $bin = $ENV{LAFETE_BIN} or plan skip_all => 'LAFETE_BIN unset (run through script/test)';

# ---- the network: two namespaces, a veth pair each ----
my $net = do {    # a 10.213.N.0/29 no interface here uses yet
    my $used = `ip -4 -o addr show`;
    my ($n) = grep { $used !~ /inet 10\.213\.$_\./ } map { 10 + ($$ + $_) % 240 } 0 .. 239;
    "10.213.$n";
};
my $id = $$ % 100000;
my @hosts = map {
    my ($name, $base) = @$_;
    +{ name => $name, ns => "lafete-$id-$name", root_if => "lf$id${name}0", ns_if => "lf$id${name}1",
      root => "$net." . ($base + 1), addr => "$net." . ($base + 2), cidr => "$net.$base/30" }
} (['a', 0], ['b', 4]);
my ($A, $B) = @hosts;
my $PORT = 9000;
my $work = stack_dir() . "/two-hosts";
make_path("$work/log", "$work/nginx");

my (@pgroups, $nginx_pid, $made);
my $owner = $$;    # forked clients inherit END: only this process cleans up
sub run { system(@_) == 0 or die "failed: @_\n" }
sub pause_until { my $d = $_[0] - time; sleep($d) if $d > 0 }
# The masters stop as they would in production (SIGTERM: their workers finish and exit,
# so the sanitizers' reports at exit are read by script/test), then whatever is left goes.
sub cleanup {
    return unless $made && $$ == $owner;
    my @up = grep { $_->{pid} } @hosts;
    kill 'TERM', map { $_->{pid} } @up;
    for my $h (@up) {
        my ($deadline, $r) = (time + 15);
        sleep 0.05 while ($r = waitpid($h->{pid}, WNOHANG)) == 0 && time < $deadline;
        $h->{exit} = $r != $h->{pid} ? 'still running' : $? & 127 ? 'signal ' . ($? & 127) : $? >> 8;
        kill 'KILL', $h->{pid} if $r != $h->{pid};
        $h->{pid} = 0;
    }
    kill 'TERM', $nginx_pid if $nginx_pid;
    kill 'TERM', -$_ for @pgroups;
    for my $h (@hosts) {    # whatever is left in a namespace (workers of a killed master)
        my @left = grep { /^\d+$/ } split /\s+/, `ip netns pids $h->{ns} 2>/dev/null`;
        kill 'KILL', @left if @left;
        system("ip netns del $h->{ns} 2>/dev/null");    # takes its veth pair with it
        system("ip link del $h->{root_if} 2>/dev/null");
    }
    waitpid($nginx_pid, 0) if $nginx_pid;
    $made = 0;
}
END { cleanup() }
$SIG{INT} = $SIG{TERM} = sub { cleanup(); exit 1 };

if (system("ip netns add $A->{ns} 2>/dev/null") != 0) {
    plan skip_all => 'ip netns add is not permitted here (a container without CAP_SYS_ADMIN?)';
}
$made = 1;
for my $h (@hosts) {
    run('ip', 'netns', 'add', $h->{ns}) unless $h == $A;
    run('ip', 'link', 'add', $h->{root_if}, 'type', 'veth', 'peer', 'name', $h->{ns_if});
    run('ip', 'link', 'set', $h->{ns_if}, 'netns', $h->{ns});
    run('ip', 'addr', 'add', "$h->{root}/30", 'dev', $h->{root_if});
    run('ip', 'link', 'set', $h->{root_if}, 'up');
    run('ip', '-n', $h->{ns}, 'link', 'set', 'lo', 'up');
    run('ip', '-n', $h->{ns}, 'addr', 'add', "$h->{addr}/30", 'dev', $h->{ns_if});
    run('ip', '-n', $h->{ns}, 'link', 'set', $h->{ns_if}, 'up');
    run('ip', '-n', $h->{ns}, 'route', 'add', 'default', 'via', $h->{root});
}
note("host a: $A->{addr} (nginx side $A->{root}); host b: $B->{addr} (nginx side $B->{root})");

# ---- the database and the partners, from the root side of each link ----
sub port_of { my ($url) = @_; $url =~ m{:(\d+)(?:/|$)} or die "no port in $url"; $1 }
my %svc = (db => $ENV{DB_PORT}, razorpay => port_of($ENV{RAZORPAY_API_URL}),
           borzo => port_of($ENV{BORZO_API_URL}), smtp => port_of($ENV{SMTP_URL}));
for my $h (@hosts) {
    for my $port (values %svc) {
        my $pid = fork // die;
        if (!$pid) {
            setpgrp(0, 0);
            open STDERR, '>>', "$work/log/socat.log";
            exec 'socat', "TCP-LISTEN:$port,bind=$h->{root},reuseaddr,fork", "TCP:127.0.0.1:$port" or exit 127;
        }
        push @pgroups, $pid;
    }
}
ok(wait_for(sub { !grep { !IO::Socket::INET->new(PeerAddr => $A->{root}, PeerPort => $_, Timeout => 1) } values %svc }, 10),
   'the database and the partners are reachable on the nginx side of the links');

# ---- the hosts ----
sub slurp { open my $fh, '<', $_[0] or return ''; local $/; <$fh> }
sub access_lines { my ($file, $re) = @_; scalar grep { / access: / && /$re/ } split /\n/, slurp($file) }
sub alive { my ($pid) = @_; open my $fh, '<', "/proc/$pid/stat" or return 0; (split ' ', <$fh>)[2] ne 'Z' }

sub start_host {
    my ($h, $log) = @_;
    $h->{log} = "$work/log/$log";
    my %env = (
        FCGI_LISTEN => "$h->{addr}:$PORT", FCGI_ALLOW => $h == $A ? $A->{root} : $B->{cidr}, WORKERS => 2,
        DB_HOST => $h->{root},
        RAZORPAY_API_URL => "http://$h->{root}:$svc{razorpay}/v1",
        BORZO_API_URL => "http://$h->{root}:$svc{borzo}/api/business/1.6",
        SMTP_URL => "smtp://$h->{root}:$svc{smtp}",
    );
    my $pid = fork // die;
    if (!$pid) {
        @ENV{ keys %env } = values %env;
        open STDOUT, '>>', $h->{log} or die;
        open STDERR, '>>', $h->{log} or die;
        exec 'ip', 'netns', 'exec', $h->{ns}, $bin, 'serve' or exit 127;
    }
    $h->{pid} = $pid;
    my $up = wait_for(sub { slurp($h->{log}) =~ /listening on \Q$h->{addr}:$PORT\E/ && @{ (children_of($pid))[0] } == 2 }, 20);
    ok($up, "host $h->{name}: the master listens on $h->{addr}:$PORT with 2 workers") or diag(slurp($h->{log}));
}
start_host($_, "app-$_->{name}.log") for @hosts;

# who may connect: the nginx side of each link only (A: its address; B: its /30)
for ([$A, $B->{root}, $A->{root}], [$B, $A->{root}, $B->{root}]) {
    my ($h, $stranger, $nginx) = @$_;
    my $r = fcgi_get(peer => "$h->{addr}:$PORT", from => $nginx, uri => '/api/health');
    is($r->{status}, 200, "host $h->{name} serves the nginx side ($nginx)") or diag(explain($r));
    like($r->{stdout}, qr/"database"\s*:\s*"ok"/, "host $h->{name} reaches the database over the link");
    $r = fcgi_get(peer => "$h->{addr}:$PORT", from => $stranger, uri => '/api/health');
    ok($r->{connected} && $r->{bytes} == 0, "host $h->{name}: a connection from $stranger gets not one byte");
    ok(wait_for(sub { slurp($h->{log}) =~ /refused a FastCGI connection from \Q$stranger\E: not in FCGI_ALLOW/ }, 5),
       "host $h->{name}: the refusal is logged");
}

# ---- nginx in front of both ----
my ($http_port, $https_port) = map { my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0); $s->sockport } 1 .. 2;
{
    opendir my $dh, "$ENV{ROOT}/nginx" or die;
    for my $f (grep { /^lafete-.*\.conf$/ } readdir $dh) { run('cp', "$ENV{ROOT}/nginx/$f", "$work/nginx/") }
    local %ENV = (%ENV, STACK_DIR => $work, HTTP_PORT => $http_port, HTTPS_PORT => $https_port, NGINX_LISTEN => '127.0.0.1',
                  APP_UPSTREAMS => "$A->{addr}:$PORT, $B->{addr}:$PORT",
                  TLS_CERT => stack_dir() . '/tls/cert.pem', TLS_KEY => stack_dir() . '/tls/key.pem');
    run("$ENV{ROOT}/script/nginx-conf > $work/nginx/nginx.conf");
    run("nginx -t -q -p $work/nginx -c $work/nginx/nginx.conf 2>>$work/log/nginx-error.log");
}
like(slurp("$work/nginx/nginx.conf"), qr/server \Q$A->{addr}:$PORT\E max_fails=1 fail_timeout=5s;\s+server \Q$B->{addr}:$PORT\E /,
     'the generated upstream lists both hosts');
$nginx_pid = fork // die;
if (!$nginx_pid) {
    open STDERR, '>>', "$work/log/nginx-error.log";
    exec 'nginx', '-p', "$work/nginx", '-c', "$work/nginx/nginx.conf" or exit 127;
}
my $front = "https://127.0.0.1:$https_port";
my $http = HTTP::Tiny->new(verify_SSL => 0, timeout => 15);
ok(wait_for(sub { $http->get("$front/api/health")->{status} == 200 }, 15), 'nginx answers through the hosts')
    or diag(slurp("$work/log/nginx-error.log"));

# ---- what the load orders: a cake, a slot with room for all, customers with addresses ----
# (a point no other test prices: the delivery quote is cached in the database for 10 minutes)
my $IST = 5 * 3600 + 1800;
my $day = strftime('%Y-%m-%d', gmtime(time + $IST + 26 * 86400));
my $slot = "${day}T12:00:00+05:30";
my ($product) = psql_row("INSERT INTO products (slug, name, base_price, lead_time_hours) VALUES (:'p1', 'Two Hosts Cake', 500, 0) RETURNING id", "two-hosts-$$");
my ($variant) = psql_row("INSERT INTO variants (product_id, label, weight_grams, price, kitchen_units) VALUES (:'p1', '500 g', 500, 500, 1) RETURNING id", $product);
psql("INSERT INTO delivery_slots (slot_start, capacity_units) VALUES (:'p1', 100000) "
   . "ON CONFLICT (slot_start) DO UPDATE SET capacity_units = 100000", $slot);
my @buyers = map {
    my $u = register_user(name => "Buyer $_");
    my ($aid) = psql_row("INSERT INTO addresses (user_id, label, street, city, pincode, latitude, longitude) "
                       . "VALUES (:'p1', 'Home', '7 Lavelle Road', 'Bengaluru', '560001', 12.96013, 77.64021) RETURNING id", $u->{user}{id});
    +{ %$u, address => $aid }
} 1 .. 6;

# ---- the load ----
my $LOAD = 10;
my $t0 = time + 1;
my @kids;
sub client {
    my ($file, $body) = @_;
    my $pid = fork // die;
    if (!$pid) {
        my $h = HTTP::Tiny->new(verify_SSL => 0, timeout => 15, keep_alive => 1);
        pause_until($t0);
        my $out = $body->($h);
        open my $fh, '>', $file or die;
        print $fh encode_json($out);
        close $fh;
        POSIX::_exit(0);
    }
    push @kids, $pid;
}
my @gets = ('/api/health', '/api/products', "/api/delivery/slots?date=$day");
for my $c (1 .. 4) {
    client("$work/get-$c.json", sub {
        my ($h) = @_;
        my %r = (ok => 0, bad => []);
        while (time < $t0 + $LOAD) {
            my $path = $gets[ ($r{ok} + $c) % @gets ];
            my $res = $h->get("$front$path");
            $res->{status} == 200 ? $r{ok}++ : push @{ $r{bad} }, "$res->{status} $path";
        }
        return \%r;
    });
}
for my $c (0 .. $#buyers) {
    my $u = $buyers[$c];
    client("$work/orders-$c.json", sub {
        my ($h) = @_;
        my %r = (accepted => {}, retried => [], unexpected => [], gave_up => []);
        my $seq = 0;
        while (time < $t0 + $LOAD) {
            my $key = "two-hosts-$$-$c-" . ++$seq;
            psql("WITH c AS (INSERT INTO carts (user_id) VALUES (:'p1') ON CONFLICT (user_id) DO UPDATE SET updated_at = now() RETURNING id) "
               . "INSERT INTO cart_items (cart_id, variant_id, quantity) SELECT id, :'p2', 1 FROM c ON CONFLICT DO NOTHING",
                 $u->{user}{id}, $variant);
            for my $try (1 .. 40) {
                my $res = $h->post("$front/api/orders", {
                    headers => { Authorization => "Bearer $u->{token}", 'Content-Type' => 'application/json', 'Idempotency-Key' => $key },
                    content => encode_json({ addressId => $u->{address}, deliverySlot => $slot }) });
                if ($res->{status} == 201 || $res->{status} == 200) {
                    $r{accepted}{$key} = decode_json($res->{content})->{id};
                    last;
                }
                if ($res->{status} =~ /^(502|503|504|599)$/) {    # the host may have taken it: the same key again
                    push @{ $r{retried} }, "$key $res->{status}";
                    push @{ $r{gave_up} }, $key if $try == 40;
                    sleep 0.25;
                    next;
                }
                push @{ $r{unexpected} }, "$key $res->{status} $res->{content}";
                last;
            }
        }
        return \%r;
    });
}

# host A's master dies 3 s in; its workers finish what they hold and go; it starts again
pause_until($t0 + 3);
my ($a_workers) = children_of($A->{pid});
my $a_before = access_lines($A->{log}, qr/./);
kill 'KILL', $A->{pid};
waitpid($A->{pid}, 0);
my $killed_at = time;
ok(wait_for(sub { !grep { alive($_) } @$a_workers }, 15), "host a: SIGKILL to the master; its workers are gone");
my $gone = sprintf '%.2f', time - $killed_at;
my $b_at_kill = access_lines($B->{log}, qr/./);
sleep 0.5;
start_host($A, 'app-a-again.log');
note("host a: killed, workers gone after ${gone}s, restarted " . sprintf('%.1f', time - $killed_at) . 's after the kill');

waitpid($_, 0) for @kids;
my (%get, %seen, @retried, @unexpected, @gave_up);
$get{ok} = 0;
for my $c (1 .. 4) {
    my $r = json_of(slurp("$work/get-$c.json")) // { ok => 0, bad => ["client $c died"] };
    $get{ok} += $r->{ok};
    push @{ $get{bad} }, @{ $r->{bad} };
}
for my $c (0 .. $#buyers) {
    my $r = json_of(slurp("$work/orders-$c.json")) // { unexpected => ["order client $c died"] };
    %seen = (%seen, %{ $r->{accepted} || {} });
    push @retried, @{ $r->{retried} || [] };
    push @unexpected, @{ $r->{unexpected} || [] };
    push @gave_up, @{ $r->{gave_up} || [] };
}
cmp_ok($get{ok}, '>', 100, "GETs answered through the kill: $get{ok}");
is(scalar @{ $get{bad} || [] }, 0, 'no GET saw an error (nginx sent them to the other host)') or diag(explain($get{bad}));
cmp_ok(scalar keys %seen, '>', 10, scalar(keys %seen) . ' orders accepted');
is(scalar @unexpected, 0, 'no order answered anything but 200/201 or a gateway error') or diag(explain(\@unexpected));
is(scalar @gave_up, 0, 'every order failed over was accepted on a retry with its key') or diag(explain(\@gave_up));
note(scalar(@retried) . ' order POSTs failed with the host and were sent again with the same key: ' . join(', ', @retried));

my %db = map { $_->[0] => $_->[1] } psql(
    "SELECT idempotency_key, id FROM orders WHERE user_id = ANY (string_to_array(:'p1', ',')::uuid[])",
    join(',', map { $_->{user}{id} } @buyers));
is_deeply(\%db, \%seen, 'the database holds exactly the orders the clients saw accepted: none lost, none doubled');
my ($units) = psql_row("SELECT booked_units FROM delivery_slots WHERE slot_start = :'p1'", $slot);
is($units, scalar keys %seen, 'the slot booked one unit per order, no more');

cmp_ok($a_before, '>', 0, "host a served before the kill ($a_before requests)");
cmp_ok(access_lines($B->{log}, qr/./), '>', $b_at_kill, 'host b served while a was down');
# nginx tries a failed host again after fail_timeout (5 s)
ok(wait_for(sub { $http->get("$front/api/health"); access_lines($A->{log}, qr/./) > 0 }, 20),
   'host a takes traffic again after its restart') or diag(slurp("$work/log/nginx-error.log"));

# ---- the dispatch pass on both hosts at once ----
my @due = map { make_order(slot_minutes => 40) } 1 .. 8;
my $t1 = time + 1;
@kids = ();
for my $p (1 .. 4) {
    my $pid = fork // die;
    if (!$pid) {
        pause_until($t1);
        my $res = HTTP::Tiny->new(verify_SSL => 0, timeout => 60)->post("$front/api/internal/dispatch",
            { headers => { Authorization => "Bearer $ENV{DISPATCH_TOKEN}" } });
        open my $fh, '>', "$work/dispatch-$p.json" or die;
        print $fh encode_json({ status => $res->{status}, summary => json_of($res->{content}) });
        close $fh;
        POSIX::_exit(0);
    }
    push @kids, $pid;
}
waitpid($_, 0) for @kids;
my @passes = map { json_of(slurp("$work/dispatch-$_.json")) // {} } 1 .. 4;
is_deeply([ map { $_->{status} } @passes ], [200, 200, 200, 200], 'four passes at once: all 200');
for my $h (@hosts) {
    cmp_ok(access_lines($h->{log}, qr{POST /api/internal/dispatch 200}), '>=', 1, "host $h->{name} ran a pass");
}
my $booked = 0;
$booked += $_->{summary}{booked} // 0 for @passes;
cmp_ok($booked, '>=', scalar @due, "the passes booked $booked couriers");
my $state = fake_get(fake_borzo(), '/_fake/state');
for my $o (@due) {
    is(scalar creates_for($o->{number}), 1, "order $o->{number}: one create-order at Borzo");
    my @at_borzo = grep { ($_->{points}[1]{client_order_id} // '') eq "$o->{number}" } values %{ $state->{orders} };
    is(scalar @at_borzo, 1, "order $o->{number}: one Borzo order");
    is_deeply([ sql_row("SELECT o.status, d.booking_state FROM orders o JOIN deliveries d ON d.order_id = o.id WHERE o.id = :'p1'", $o->{id}) ],
              ['DISPATCHED', 'BOOKED'], "order $o->{number}: booked and dispatched");
}

cleanup();
is_deeply([ map { $_->{exit} } @hosts ], [0, 0], 'both masters stopped cleanly on SIGTERM');
ok(!grep({ system("ip netns list | grep -q '^$_->{ns}\\b'") == 0 } @hosts), 'the namespaces are gone');
done_testing;
