#!/usr/bin/perl
# bench/soak.pl: the load and the report of bench/soak (which builds, starts the
# stack and makes the fixture, then runs this with SOAK_* in the environment).
#
# Roles, one process each (forked), every request logged with its latency:
#   browser x SOAK_CLIENTS  the catalog, a product, search, slots, the estimate, health,
#                           /api/me, /api/orders, /api/cart, a cart line added and removed,
#                           the tracking page, the admin's order page, jobs page and order API
#   checkout                cart -> order -> Razorpay order -> payment at the fake ->
#                           verify, or the signed webhook, or both; every 10th order is
#                           cancelled by its customer (a refund at Razorpay); every 5th
#                           is handed to the courier
#   courier                 books those (admin API), then sends Borzo's signed callbacks
#                           (courier assigned, delivered) as the fake Borzo advances them
#   dispatch                POST /api/internal/dispatch every SOAK_DISPATCH_EVERY seconds
# Phase 1 runs the browsers flat out for SOAK_PEAK_SECONDS: the peak. Phase 2 paces them
# so that everything together makes SOAK_LOAD_PERCENT % of it, for SOAK_SECONDS.
# Errors are answers other than the expected one (or none): the run fails on any, on a
# worker replaced, on a 5xx in nginx's log, or on an inconsistency found at the end.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../t/lib";
use Digest::SHA qw(hmac_sha256_hex);
use HTTP::Tiny;
use JSON::PP;
use POSIX ();
use Time::HiRes qw(time sleep);
use Time::Local qw(timegm);
use FakeBorzo qw(sign_callback);
use FakeRazorpay qw(sign_webhook webhook_body event_id);

my %E = map { $_ => $ENV{$_} } grep { /^SOAK_|^FAKE_|^BASE$|^OUT$|^DISPATCH_TOKEN$|_SECRET$|^DB_/ } keys %ENV;
my $OUT = $E{OUT} or die "run me through bench/soak\n";
# the generator shares the cores with what it measures: decode with XS when there is one
my $J = eval { require Cpanel::JSON::XS; Cpanel::JSON::XS->new->utf8->canonical } // JSON::PP->new->utf8->canonical;
sub lines_of { open my $fh, '<', $_[0] or die "$_[0]: $!"; chomp(my @l = <$fh>); close $fh; grep { length } @l }

my @buyers = map { [ split / / ] } lines_of("$OUT/buyers.txt");     # token user_id address_id
my @slots = lines_of("$OUT/slots.txt");
my @products = lines_of("$OUT/products.txt");
my ($carter_tokens) = [ map { $_->[0] } splice @buyers, 0, $E{SOAK_CLIENTS} ];    # one cart per browser

# ---- one request, logged ----

my ($http, $log, $role);
sub client { HTTP::Tiny->new(verify_SSL => 0, timeout => 30, max_redirect => 0, keep_alive => 1) }
sub open_log { my ($name) = @_; $role = $name; open $log, '>>', "$OUT/log.$name" or die; $log->autoflush(1); $http = client() }

# call(ACTION, [ok statuses], METHOD, URL, %opt): the answer; logs "start_ms latency_ms role action status ok note".
sub call {
    my ($action, $want, $m, $url, %o) = @_;
    my %h = %{ $o{headers} || {} };
    $h{Authorization} = "Bearer $o{token}" if $o{token};
    my $body;
    if (exists $o{json}) { $body = $J->encode($o{json}); $h{'Content-Type'} = 'application/json' }
    elsif (defined $o{raw}) { $body = $o{raw}; $h{'Content-Type'} = 'application/json' }
    $url = "$E{BASE}$url" unless $url =~ m{^https?://};
    my $t0 = time;
    my $r = ($o{plain} ? ($o{plain_client} //= HTTP::Tiny->new(timeout => 30)) : $http)
        ->request($m, $url, { headers => \%h, (defined $body ? (content => $body) : ()) });
    my $ms = (time - $t0) * 1000;
    # only what is looked at is decoded (a catalog page is 10 KB of JSON)
    $r->{json} = eval { $J->decode($r->{content}) } if ($o{check} || $o{want}) && ($r->{headers}{'content-type'} // '') =~ /json/;
    my $ok = grep { $_ == $r->{status} } @$want;
    $ok &&= $o{check}->($r) ? 1 : 0 if $ok && $o{check};
    my $note = $ok ? '' : substr(($r->{content} // '') =~ s/\s+/ /gr, 0, 160);
    printf $log "%d\t%.2f\t%s\t%s\t%d\t%d\t%s\t%s\n", $t0 * 1000, $ms, $role, $action, $r->{status}, $ok ? 1 : 0,
        $o{fake} ? 'fake' : 'app', $note;
    return $ok ? $r : undef;
}

# ---- the roles ----

my @actions = (    # [weight, name, code]
    [18, products     => sub { call(products => [200], GET => '/api/products') }],
    [8,  search       => sub { call(search => [200], GET => '/api/products?q=choc') }],
    [14, product      => sub { call(product => [200], GET => "/api/products/$products[rand @products]") }],
    [8,  slots        => sub { call(slots => [200], GET => "/api/delivery/slots?date=$E{SOAK_SLOT_DAY}") }],
    [4,  estimate     => sub { call(estimate => [200], GET => '/api/delivery/estimate?lat=12.935&lng=77.625') }],
    [4,  health       => sub { call(health => [200], GET => '/api/health') }],
    [8,  me           => sub { call(me => [200], GET => '/api/me', token => $E{SOAK_READER_TOKEN}) }],
    [5,  orders       => sub { call(orders => [200], GET => '/api/orders', token => $E{SOAK_READER_TOKEN}) }],
    [5,  cart         => sub { call(cart => [200], GET => '/api/cart', token => $E{SOAK_READER_TOKEN}) }],
    [6,  cart_line    => \&cart_line],
    [6,  track        => sub { call(track => [200], GET => "/track/$E{SOAK_TRACK_TOKEN}") }],
    [4,  admin_page   => sub { call(admin_page => [200], GET => "/admin/orders?date=$E{SOAK_ADMIN_DAY}",
                                    headers => { Cookie => $E{SOAK_ADMIN_COOKIE} }) }],
    [2,  admin_jobs   => sub { call(admin_jobs => [200], GET => '/admin/jobs', headers => { Cookie => $E{SOAK_ADMIN_COOKIE} }) }],
    [4,  admin_api    => sub { call(admin_api => [200], GET => "/api/admin/orders?date=$E{SOAK_ADMIN_DAY}", token => $E{SOAK_ADMIN_TOKEN}) }],
);
my $total_weight = 0;
$total_weight += $_->[0] for @actions;

my $my_cart_token;
sub cart_line {
    my $r = call(cart_add => [201], POST => '/api/cart', token => $my_cart_token, want => 1,
                 json => { variantId => $E{SOAK_VARIANT}, quantity => 1 }) or return;
    my ($line) = grep { $_->{variantId} eq $E{SOAK_VARIANT} } @{ $r->{json}{items} || [] };
    call(cart_remove => [200, 204], DELETE => "/api/cart/items/$line->{id}", token => $my_cart_token) if $line;
}

sub pick {
    my $x = rand $total_weight;
    for (@actions) { return $_->[2] if ($x -= $_->[0]) < 0 }
    return $actions[-1][2];
}

# paced loop: rate per second (0: flat out), until the deadline
sub paced {
    my ($rate, $until, $step) = @_;
    my $next = time;
    while (time < $until) {
        $step->();
        next unless $rate > 0;
        $next += 1 / $rate;
        my $now = time;
        my $wake = $next < $until ? $next : $until;
        if ($wake > $now) { sleep($wake - $now) }
        elsif ($now - $next > 1) { $next = $now }    # fell behind: no burst to catch up
    }
}

sub browser {
    my ($i, $rate, $until) = @_;
    open_log("browser$i");
    $my_cart_token = $carter_tokens->[$i];
    paced($rate, $until, sub { pick()->() });
}

my $flow = 0;
sub checkout_flow {
    my ($b) = $buyers[$flow % @buyers];
    my ($tok, $uid, $aid) = @$b;
    my $n = ++$flow;
    my $key = "soak-$E{SOAK_PHASE}-$$-$n";
    # a fresh Razorpay state now and then: the fake rewrites all of it on every call
    call(fake_reset => [200], POST => "$E{FAKE_RAZORPAY_URL}/_fake/reset", plain => 1, fake => 1) if $n % 25 == 0;
    call(cart_add => [201], POST => '/api/cart', token => $tok, json => { variantId => $E{SOAK_VARIANT}, quantity => 1 }) or return;
    my $o = call(order => [201], POST => '/api/orders', token => $tok, headers => { 'Idempotency-Key' => $key }, want => 1,
                 json => { addressId => $aid, deliverySlot => $slots[$n % @slots] }) or return;
    my $oid = $o->{json}{id};
    my $co = call(create_order => [200], POST => '/api/payments/create-order', token => $tok, json => { orderId => $oid },
                  want => 1) or return;
    my $paid = call(fake_checkout => [200], POST => "$E{FAKE_RAZORPAY_URL}/_fake/checkout", plain => 1, fake => 1, want => 1,
                    json => { order_id => $co->{json}{order_id}, status => 'captured', full => JSON::PP::true }) or return;
    my %sig = map { $_ => $paid->{json}{$_} } qw(razorpay_order_id razorpay_payment_id razorpay_signature);
    my $how = $n % 3;
    if ($how != 0) {    # Razorpay's webhook: alone, or before the browser's verify
        my $body = webhook_body(event => 'payment.captured', payment => $paid->{json}{payment});
        call(webhook => [200], POST => '/api/payments/webhook', raw => $body,
             headers => { 'X-Razorpay-Signature' => sign_webhook($body, $E{RAZORPAY_WEBHOOK_SECRET}), 'X-Razorpay-Event-Id' => event_id() },
             check => sub { $_[0]{json}{status} eq 'confirmed' }) or return;
    }
    if ($how != 1) {
        call(verify => [200], POST => '/api/payments/verify', token => $tok, json => \%sig,
             check => sub { $_[0]{json}{status} eq 'CONFIRMED' }) or return;
    }
    if ($n % 10 == 0) {
        call(cancel => [200], POST => "/api/orders/$oid/cancel", token => $tok) or return;
    } elsif ($n % 5 == 0) {
        open my $q, '>>', "$OUT/to_book" or die;
        print $q "$oid\n";
        close $q;
    }
}

sub checkout {
    my ($per_min, $until) = @_;
    open_log('checkout');
    paced($per_min / 60, $until, \&checkout_flow);
}

sub courier {
    my ($until) = @_;
    open_log('courier');
    my ($seen, $since_reset, @flight) = (0, 0);
    while (time < $until) {
        my @new = -f "$OUT/to_book" ? lines_of("$OUT/to_book") : ();
        for my $oid (@new[$seen .. $#new]) {
            my $r = call(book => [200], POST => "/api/delivery/book/$oid", token => $E{SOAK_ADMIN_TOKEN}, want => 1) or next;
            push @flight, { bid => $r->{json}{borzoOrderId}, step => 0 };
            $since_reset++;
        }
        $seen = @new;
        for my $d (@flight) {
            my %adv = (order_id => 0 + $d->{bid}, delivery_status => $d->{step} ? 'finished' : 'courier_assigned');
            my $a = call(advance => [200], POST => "$E{FAKE_BORZO_URL}/_fake/advance", plain => 1, fake => 1, json => \%adv);
            $d->{step} = 2, next unless $a;
            call(borzo_webhook => [200], POST => '/api/delivery/webhook', raw => $a->{content},
                 headers => { 'X-DV-Signature' => sign_callback($a->{content}, $E{BORZO_CALLBACK_SECRET}) },
                 check => sub { $_[0]{json}{status} eq 'applied' });
            $d->{step}++;
        }
        @flight = grep { $_->{step} < 2 } @flight;
        if (!@flight && $since_reset >= 10) {    # nothing in flight: the fake may forget
            call(fake_reset => [200], POST => "$E{FAKE_BORZO_URL}/_fake/reset", plain => 1, fake => 1);
            $since_reset = 0;
        }
        my $wake = time + 2;
        sleep(0.1) while time < $wake && time < $until;
    }
    # what was handed over at the very end is delivered too, so the checks below hold
    for my $d (@flight) {
        for my $st ($d->{step} ? ('finished') : ('courier_assigned', 'finished')) {
            my $a = call(advance => [200], POST => "$E{FAKE_BORZO_URL}/_fake/advance", plain => 1, fake => 1,
                         json => { order_id => 0 + $d->{bid}, delivery_status => $st }) or last;
            call(borzo_webhook => [200], POST => '/api/delivery/webhook', raw => $a->{content},
                 headers => { 'X-DV-Signature' => sign_callback($a->{content}, $E{BORZO_CALLBACK_SECRET}) });
        }
    }
}

sub dispatcher {
    my ($until) = @_;
    open_log('dispatch');
    while (time < $until) {
        my $wake = time + $E{SOAK_DISPATCH_EVERY};
        call(dispatch => [200], POST => '/api/internal/dispatch', token => $E{DISPATCH_TOKEN},
             check => sub { !@{ $_[0]{json}{errors} || [1] } });
        sleep(0.1) while time < $wake && time < $until;
    }
}

# ---- phases ----

# CPU seconds (user + system) of these processes and their children, the exited ones included
sub server_cpu {
    my $hz = POSIX::sysconf(POSIX::_SC_CLK_TCK()) || 100;
    my $t = 0;
    for my $root (@_) {
        for my $pid ($root, split ' ', `pgrep -P $root`) {
            open my $s, '<', "/proc/$pid/stat" or next;
            my @f = split ' ', (<$s> =~ s/^.*\) //r);
            $t += $f[11] + $f[12] + $f[13] + $f[14];
        }
    }
    return $t / $hz;
}
my @servers = grep { $_ } map { $E{$_} } qw(SOAK_APP_PID SOAK_NGINX_PID SOAK_PG_PID);
my (%cpu, %load_at);

sub run_phase {
    my ($name, $secs, $browser_rate) = @_;
    my @t0 = POSIX::times();
    my $srv0 = server_cpu(@servers);
    $E{SOAK_PHASE} = $name;
    unlink "$OUT/to_book";
    my $start = time;
    my $until = $start + $secs;
    my @kids;
    my $spawn = sub { my $pid = fork // die "fork: $!"; if (!$pid) { $_[0]->(); POSIX::_exit(0) } push @kids, $pid };
    $spawn->(sub { browser($_, $browser_rate, $until) }) for 0 .. $E{SOAK_CLIENTS} - 1;
    $spawn->(sub { checkout($E{SOAK_ORDERS_PER_MIN}, $until) });
    $spawn->(sub { courier($until) });
    $spawn->(sub { dispatcher($until) });
    # the machine's load average at the end of each row (other jobs share the cores)
    my %left = map { $_ => 1 } @kids;
    while (%left) {
        for my $k (keys %left) { delete $left{$k} if waitpid($k, POSIX::WNOHANG()) == $k }
        $load_at{$name}{ int((time - $start) / $E{SOAK_BUCKET}) } = (split ' ', loadavg())[0];
        sleep 0.5 if %left;
    }
    my $end = time;
    my @t1 = POSIX::times();
    my $hz = POSIX::sysconf(POSIX::_SC_CLK_TCK()) || 100;
    $cpu{$name} = { load => ($t1[3] + $t1[4] - $t0[3] - $t0[4]) / $hz, server => server_cpu(@servers) - $srv0, secs => $end - $start };
    rename "$OUT/log.$_", "$OUT/$name.log.$_" for map { s{.*/log\.}{}r } glob "$OUT/log.*";
    return ($start, $end);
}

sub read_logs {
    my ($name) = @_;
    my @r;
    for my $f (glob "$OUT/$name.log.*") {
        open my $fh, '<', $f or die;
        while (<$fh>) {
            chomp;
            my ($t, $ms, $role, $action, $status, $ok, $kind, $note) = split /\t/, $_, 8;
            push @r, { t => $t / 1000, ms => $ms, role => $role, action => $action, status => $status, ok => $ok,
                       fake => $kind eq 'fake', note => $note };
        }
    }
    return \@r;
}

sub worker_rss {
    my %rss;
    for my $pid (split ' ', `pgrep -P $E{SOAK_APP_PID}`) {
        open my $c, '<', "/proc/$pid/comm" or next;
        next if <$c> =~ /listen/;
        open my $s, '<', "/proc/$pid/status" or next;
        while (<$s>) { $rss{$pid} = $1 if /^VmRSS:\s+(\d+)/ }
    }
    return \%rss;
}

sub pct {
    my ($p, @v) = @_;
    return '-' unless @v;
    @v = sort { $a <=> $b } @v;
    my $i = int(@v * $p + 0.999999) - 1;
    return sprintf '%.1f', $v[$i < 0 ? 0 : $i];
}

sub loadavg { open my $l, '<', '/proc/loadavg' or return '?'; join ' ', (split ' ', <$l>)[0 .. 2] }

my $load0 = loadavg();
my $rss0 = worker_rss();
print STDERR "==> peak: browsers flat out for $E{SOAK_PEAK_SECONDS} s\n";
my ($p0, $p1) = run_phase('peak', $E{SOAK_PEAK_SECONDS}, 0);
my $peak_log = read_logs('peak');
my @peak_app = grep { !$_->{fake} } @$peak_log;
my $peak = @peak_app / ($p1 - $p0);
my $fixed = (grep { $_->{role} !~ /^browser/ } @peak_app) / ($p1 - $p0);
my $target = $peak * $E{SOAK_LOAD_PERCENT} / 100;
my $per_browser = ($target - $fixed) / $E{SOAK_CLIENTS};
$per_browser = 0.5 if $per_browser < 0.5;
printf STDERR "==> peak %.0f req/s (of which %.1f from the checkout, courier and dispatch roles); soak at %d%%: %.0f req/s, %.1f per browser, for %d s\n",
    $peak, $fixed, $E{SOAK_LOAD_PERCENT}, $target, $per_browser, $E{SOAK_SECONDS};
my $rss1 = worker_rss();
my ($s0, $s1) = run_phase('soak', $E{SOAK_SECONDS}, $per_browser);
my $rss2 = worker_rss();
my $load1 = loadavg();
my $soak_log = read_logs('soak');

# ---- the report ----

my @app = grep { !$_->{fake} } @$soak_log;
my @errors = grep { !$_->{ok} } @$soak_log;
my @peak_errors = grep { !$_->{ok} } @$peak_log;
my $B = $E{SOAK_BUCKET};
my (%bucket, %nginx);
push @{ $bucket{ int(($_->{t} - $s0) / $B) } }, $_ for @app;

# nginx's own clock: $request_time of every request it logged during the soak
open my $ng, '<', "$E{SOAK_NGINX_LOG}" or die "nginx log: $!";
my $nginx_5xx = 0;
while (<$ng>) {
    next unless m{\[(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)([+-])(\d\d):(\d\d)\] "\S+ \S+" (\d{3}) \d+ ([\d.]+)s};
    my $t = timegm($6, $5, $4, $3, $2 - 1, $1) - ($7 eq '-' ? -1 : 1) * ($8 * 3600 + $9 * 60);
    next if $t < int($s0) || $t > $s1 + 1;
    push @{ $nginx{ int(($t - $s0) / $B) } }, $11 * 1000;
    $nginx_5xx++ if $10 >= 500;
}
close $ng;

my @rows;
for my $k (sort { $a <=> $b } keys %bucket) {
    my @v = map { $_->{ms} } @{ $bucket{$k} };
    my $secs = ($k + 1) * $B <= $s1 - $s0 ? $B : ($s1 - $s0) - $k * $B;
    next if $secs < 1;
    push @rows, sprintf "| %5d-%-5d | %8d | %6.1f | %6d | %7s | %7s | %7s | %8s | %8s | %5s |", $k * $B, $k * $B + $secs, scalar @v,
        @v / $secs, scalar(grep { !$_->{ok} } @{ $bucket{$k} }), pct(0.5, @v), pct(0.99, @v), pct(1, @v),
        pct(0.99, @{ $nginx{$k} || [] }), pct(1, @{ $nginx{$k} || [] }), $load_at{soak}{$k} // '-';
}

my %count;
$count{ $_->{action} }++ for grep { $_->{ok} } @$soak_log;
my $psql = sub {
    my ($sql) = @_;
    local $ENV{PGPASSWORD} = $E{DB_PASSWORD};
    my $v = `psql -X -q -tA -h 127.0.0.1 -p $E{DB_PORT} -U $E{DB_USERNAME} -d $E{DB_NAME} -c "$sql"`;
    chomp $v;
    return $v;
};
my @checks = (
    ['every soak order is paid (CONFIRMED or later) or was cancelled by its customer',
     "SELECT count(*) FROM orders WHERE idempotency_key LIKE 'soak-%' AND status NOT IN ('CONFIRMED', 'DISPATCHED', 'DELIVERED', 'CANCELLED')", 0],
    ['each paid soak order was confirmed exactly once',
     "SELECT count(*) FROM (SELECT o.id FROM orders o LEFT JOIN order_status_history h ON h.order_id = o.id AND h.to_status = 'CONFIRMED' "
   . "WHERE o.idempotency_key LIKE 'soak-%' GROUP BY o.id HAVING count(h.*) <> 1) x", 0],
    ['every cancelled soak order has its refund PROCESSED',
     "SELECT count(*) FROM orders o WHERE o.idempotency_key LIKE 'soak-%' AND o.status = 'CANCELLED' "
   . "AND NOT EXISTS (SELECT 1 FROM refunds f WHERE f.order_id = o.id AND f.status = 'PROCESSED')", 0],
    ['every booked soak order was delivered (its callbacks applied)',
     "SELECT count(*) FROM deliveries d JOIN orders o ON o.id = d.order_id WHERE o.idempotency_key LIKE 'soak-%' AND o.status <> 'DELIVERED'", 0],
    ['no partner event left waiting (early_events)', "SELECT count(*) FROM early_events", 0],
    ['no dead job', "SELECT count(*) FROM jobs WHERE state = 'dead'", 0],
    ['no email given up', "SELECT count(*) FROM emails WHERE state = 'dead'", 0],
    ['no order flagged for staff', "SELECT count(*) FROM orders WHERE needs_attention", 0],
);
my $failed_checks = 0;
my @check_lines;
for my $c (@checks) {
    my $got = $psql->($c->[1]);
    my $ok = $got eq $c->[2];
    $failed_checks++ unless $ok;
    push @check_lines, sprintf '- %s: %s', $c->[0], $ok ? 'yes' : "NO ($got)";
}
push @check_lines, sprintf '- emails sent / still queued (the last pass\'s): %s', $psql->("SELECT count(*) FILTER (WHERE state = 'sent') || ' / ' || count(*) FILTER (WHERE state = 'queued') FROM emails");
my @replaced = grep { !exists $rss2->{$_} } keys %$rss1;
push @check_lines, sprintf '- the same workers from start to end: %s', @replaced ? "NO (gone: @replaced)" : 'yes';
push @check_lines, sprintf '- 5xx in nginx\'s log during the soak: %d', $nginx_5xx;

my $dur = $s1 - $s0;
my @mem;
my $grew = 0;
for my $pid (sort { $a <=> $b } keys %$rss1) {
    my ($first, $start, $end) = ($rss0->{$pid} // '-', $rss1->{$pid}, $rss2->{$pid} // '-');
    my $d = $end eq '-' ? '-' : $end - $start;
    $grew++ if $d ne '-' && $d > 1024 && $d > $start * 0.05;
    push @mem, sprintf '| %7d | %9s | %9s | %9s | %7s |', $pid, $first, $start, $end, $d eq '-' ? '-' : sprintf('%+d', $d);
}
my @report = (
    '',
    sprintf('bench/soak%s: %s, %d cores, %s, %d app workers; load average %s before, %s after (a shared machine)',
            $E{SOAK_SHORT} ? ' --short' : '', POSIX::strftime('%Y-%m-%d %H:%M UTC', gmtime $s0), $E{SOAK_NPROC},
            $E{SOAK_KERNEL}, $E{SOAK_WORKERS}, $load0, $load1),
    sprintf('peak (%d s, %d browsers flat out + the other roles): %.0f req/s; soak at %d %% = %.0f req/s for %d s: achieved %.0f req/s, %d requests to the app (%d more to the fakes)',
            $p1 - $p0, $E{SOAK_CLIENTS}, $peak, $E{SOAK_LOAD_PERCENT}, $target, $dur, @app / $dur, scalar @app,
            scalar(@$soak_log) - @app),
    sprintf('flows: %d orders placed and paid (verify %d, webhook %d), %d cancelled and refunded, %d couriers booked, %d Borzo callbacks, %d dispatch passes',
            $count{order} // 0, $count{verify} // 0, $count{webhook} // 0, $count{cancel} // 0, $count{book} // 0,
            $count{borzo_webhook} // 0, $count{dispatch} // 0),
    sprintf('CPU during the soak: the server side (nginx, the app, PostgreSQL) %.0f s, the load generator %.0f s, of the %d cores x %d s there were',
            $cpu{soak}{server}, $cpu{soak}{load}, $E{SOAK_NPROC}, $dur),
    sprintf('**errors: %d** (soak), %d (peak phase)', scalar @errors, scalar @peak_errors),
    '',
    sprintf('| %-11s | %8s | %6s | %6s | %7s | %7s | %7s | %8s | %8s | %5s |', 'seconds', 'requests', 'req/s', 'errors',
            'p50 ms', 'p99 ms', 'max ms', 'nginx p99', 'nginx max', 'load'),
    '|:-----|-----:|-----:|-----:|-----:|-----:|-----:|-----:|-----:|-----:|',
    @rows,
    '',
    'Latency: the client\'s (Perl HTTP::Tiny over TLS, keep-alive, on the same cores) and nginx\'s `$request_time`; load: the 1-minute load average at the row\'s end.',
    '',
    '| worker  | RSS KiB at start | at soak start | at end | change |',
    '|--------:|---------:|---------:|---------:|--------:|',
    @mem,
    '',
    sprintf('memory: %s', $grew ? "$grew worker(s) GREW by more than 5 % and 1 MiB during the soak" : 'flat (no worker grew by more than 5 % and 1 MiB during the soak)'),
    '',
    'consistency at the end:',
    @check_lines,
    '',
);
my %by_err;
$by_err{"$_->{action} $_->{status} $_->{note}"}++ for @errors, @peak_errors;
push @report, 'errors by kind:', (map { "- $by_err{$_} x $_" } sort keys %by_err), '' if %by_err;
print join("\n", @report), "\n";
open my $rep, '>', "$OUT/report.md" or die;
print $rep join("\n", @report), "\n";
close $rep;
exit(@errors || @peak_errors || $failed_checks || @replaced || $nginx_5xx ? 1 : 0);
