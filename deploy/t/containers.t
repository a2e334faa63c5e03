#!/usr/bin/perl
# deploy/t/containers.t: the image and the compose stack, for real, with podman and
# podman-compose; run by script/test-deploy (which builds the image and the base
# images first and sets the variables below). What README "Deploy" says, step by step:
# up, health, catalog, admin login, a dispatch pass, an order, the redirect, logs on
# stdout, a killed master ends the container non-zero and it restarts, down + up keeps
# the orders, the backup and restore drill, production mode refusing dev secrets.
use strict;
use warnings;
use Test::More;
use POSIX qw(strftime);
use Time::HiRes qw(time sleep);
use LaFete::Test;

my %E = map { $_ => ($ENV{$_} // die "$_ unset: run script/test-deploy containers\n") }
    qw(ROOT CT_PROJECT CT_IMAGE CT_LOG LAFETE_HTTPS_PORT LAFETE_HTTP_PORT);
my $P = $E{CT_PROJECT};
my @COMPOSE = ('podman-compose', '-p', $P, '-f', "$E{ROOT}/docker/compose.yml");
my ($DB, $APP) = ("${P}_db_1", "${P}_app_1");
my $BORZO = "${P}_borzo";
my $IST = 5 * 3600 + 1800;

# commands log to CT_LOG; podman-compose talks a lot
sub run_logged {
    open my $log, '>>', $E{CT_LOG} or die;
    print $log "\n\$ @_\n";
    close $log;
    return system("@{[ map { quotemeta } @_ ]} >>\Q$E{CT_LOG}\E 2>&1") == 0;
}
sub compose { run_logged(@COMPOSE, @_) }
sub logs { my $o = `podman logs \Q$_[0]\E 2>&1`; $o }   # the container's stdout and stderr
sub out { my $cmd = join ' ', map { quotemeta } @_; my $o = `$cmd 2>>\Q$E{CT_LOG}\E`; chomp $o; $o }

sub wait_health {
    my ($secs) = @_;
    return wait_for(sub { my $r = req(GET => '/api/health'); $r->{status} == 200 ? $r : undef }, $secs);
}

END {
    return if $ENV{KEEP_STACK};
    run_logged('podman', 'rm', '-f', '-v', '-t', '0', $BORZO);
    compose('down', '-v', '-t', '2');
    run_logged('podman', 'volume', 'rm', '-f', "${P}_pgdata", "${P}_media");
    run_logged('podman', 'network', 'rm', '-f', "${P}_default");
}

# ---------------------------------------------------------------- the image
my $size = out('podman', 'image', 'inspect', '--format', '{{.Size}}', $E{CT_IMAGE});
cmp_ok($size, '<', 200e6, sprintf('image is under 200 MB (%.0f MB)', $size / 1e6));
is(out('podman', 'image', 'inspect', '--format', '{{.Config.User}}', $E{CT_IMAGE}), 'lafete', 'image runs as lafete');
like(out('podman', 'image', 'inspect', '--format', '{{json .Config.Healthcheck}}', $E{CT_IMAGE}),
     qr{/api/health}, 'image has a HEALTHCHECK');
like(out('podman', 'image', 'inspect', '--format', '{{json .Config.ExposedPorts}}', $E{CT_IMAGE}),
     qr/8080.*8443|8443.*8080/, 'image exposes 8080 and 8443');
is(out('podman', 'run', '--rm', '--entrypoint', 'sh', $E{CT_IMAGE}, '-c',
       'for c in cc gcc make autoreconf psql; do command -v $c; done; ls /src 2>/dev/null; true'),
   '', 'no compiler, build tools, psql or source tree in the image');
if ($ENV{CT_BUILD_IMAGE}) {
    is(out('podman', 'run', '--rm', '--entrypoint', 'sh', $ENV{CT_BUILD_IMAGE}, '-c',
           'cd /src && ls -d .git .env var build build-test *.deb 2>/dev/null; true'),
       '', '.dockerignore keeps .git, .env, var/ and build trees out of the build');
}

# production mode: real secrets or nothing starts
my $prod = `podman run --rm -e LAFETE_ENV=production -e DB_PASSWORD=lafete \Q$E{CT_IMAGE}\E 2>&1; echo "status=\$?"`;
like($prod, qr/JWT_SECRET is not set/, 'production mode refuses a missing JWT_SECRET');
like($prod, qr/DB_PASSWORD is unset or the development default/, '... and the development DB_PASSWORD');
like($prod, qr/status=1$/, '... and exits 1');

# IPv6 disabled in the container: nginx listens on IPv4 only instead of dying
my $conf = `podman run --rm --sysctl net.ipv6.conf.all.disable_ipv6=1 -e STACK_DIR=/run/lafete -e ROOT=/usr/share/lafete -e WORKERS=2 --entrypoint /usr/libexec/lafete/nginx-conf \Q$E{CT_IMAGE}\E 2>>\Q$E{CT_LOG}\E`;
like($conf, qr/listen 0\.0\.0\.0:8443 ssl/, 'nginx listens on every IPv4 address inside the container');
unlike($conf, qr/listen \[/, 'no IPv6 listen line when IPv6 is disabled');

# ---------------------------------------------------------------- up
ok(compose('up', '-d'), 'compose up -d') or BAIL_OUT("compose up failed: see $E{CT_LOG}");
# a fake Borzo on the stack's network (the app prices deliveries with it)
ok(run_logged('podman', 'run', '-d', '--name', $BORZO, '--network', "${P}_default", '--network-alias', 'borzo',
              '-e', 'FAKE_BIND_ADDR=0.0.0.0', '-v', "$E{ROOT}/t:/t:ro", 'docker.io/library/postgres:15',
              'perl', '/t/fakes/borzo.pl', '--port', '8000', '--state', '/tmp/borzo', '--token', $ENV{BORZO_API_TOKEN},
              '--parent', '0'), 'fake Borzo started');

my $h = wait_health(240);
ok($h, 'GET /api/health answers 200 through the published port') or BAIL_OUT("the stack did not come up: see $E{CT_LOG}");
is($h->{json}{database}, 'ok', 'the app reaches PostgreSQL');
is(out('podman', 'wait', "${P}_migrate_1"), '0', 'the migrate service exited 0');
ok(wait_for(sub { system("podman healthcheck run \Q$APP\E >/dev/null 2>&1") == 0 }, 30), 'the container health check passes');

my $products = req(GET => '/api/products');
is($products->{status}, 200, 'catalog answers');
my ($cake) = grep { $_->{isAvailable} && @{ $_->{variants} || [] } } @{ $products->{json}{items} || [] };
ok($cake, 'the seeded catalog is there') or diag $products->{content};

my $admin = login($ENV{ADMIN_EMAIL}, $ENV{ADMIN_PASSWORD});
ok($admin, 'the seeded admin logs in');
is(req(GET => '/api/me', token => $admin)->{json}{role}, 'ADMIN', 'with the ADMIN role');
my $page = req(GET => '/admin/login');
is($page->{status}, 200, 'the admin login page renders (templates installed)');

my $redir = req(GET => "http://127.0.0.1:$E{LAFETE_HTTP_PORT}/api/health");
is($redir->{status}, 301, 'HTTP redirects');
is($redir->{headers}{location}, "https://127.0.0.1:$E{LAFETE_HTTPS_PORT}/api/health", 'to the published HTTPS port');

is(req(POST => '/api/internal/dispatch', token => 'x' x 32)->{status}, 403, 'dispatch is refused from outside');
ok(wait_for(sub { logs($APP) =~ /dispatch: \{/ }, 30), "the app's own loop ran a dispatch pass");

# an order, priced by the fake Borzo
my $u = register_user(name => 'Container Customer');
my $a = req(POST => '/api/addresses', token => $u->{token}, json => {
    label => 'Home', street => '14 Church Street', city => 'Bengaluru', pincode => '560001',
    latitude => 12.9752, longitude => 77.6050 });
is($a->{status}, 201, 'address saved') or diag $a->{content};
my $c = req(POST => '/api/cart', token => $u->{token}, json => { variantId => $cake->{variants}[0]{id}, quantity => 1 });
is($c->{status}, 201, 'cart line added') or diag $c->{content};
my $slots = req(GET => '/api/delivery/slots?date=' . strftime('%Y-%m-%d', gmtime(time + $IST + 5 * 86400)));
my ($slot) = grep { $_->{available} } @{ $slots->{json}{slots} || [] };
ok($slot, 'a slot is offered') or diag $slots->{content};
my $o = req(POST => '/api/orders', token => $u->{token}, json => { addressId => $a->{json}{id}, deliverySlot => $slot->{start} });
is($o->{status}, 201, 'order placed') or diag $o->{content};
my $order = $o->{json} || {};

my $logs = logs($APP);
like($logs, qr/access.*POST \/api\/orders/, "the app's access log is on the container's output");
like($logs, qr/"POST \/api\/orders" 201/, "nginx's access log too");

# ---------------------------------------------------------------- a dead master
my $restarts = out('podman', 'inspect', '--format', '{{.RestartCount}}', $APP);
my $t0 = time;
ok(run_logged('podman', 'exec', $APP, 'sh', '-c', 'kill -KILL "$(cat /run/lafete/app.pid)"'), 'SIGKILL the master');
my $died = wait_for(sub {
    out('podman', 'events', '--stream=false', '--since', int($t0) - 1, '--filter', "container=$APP",
        '--filter', 'event=died', '--format', '{{.ContainerExitCode}}') }, 30);
like($died // '', qr/^[1-9]\d*$/m, "the container exited non-zero ($died)");
ok(wait_for(sub { out('podman', 'inspect', '--format', '{{.RestartCount}}', $APP) > $restarts }, 60), 'and was restarted');
ok(wait_health(120), 'the shop answers again');

# ---------------------------------------------------------------- down + up
ok(compose('down', '-t', '10'), 'compose down (volumes kept)');
ok(compose('up', '-d'), 'compose up -d again');
ok(wait_health(180), 'back up');
my $again = req(GET => "/api/orders/$order->{id}", token => $u->{token});
is($again->{status}, 200, 'the order survived down + up (and the token: JWT_SECRET lives on the volume)');
is($again->{json}{orderNumber}, $order->{orderNumber}, 'same order number');

# ---------------------------------------------------------------- backup and restore (README)
my $dump = "$ENV{CT_TMP}/lafete.dump";
ok(system("podman exec \Q$DB\E pg_dump -U lafete -Fc lafete > \Q$dump\E 2>>\Q$E{CT_LOG}\E") == 0 && -s $dump, 'pg_dump');
ok(system("podman exec \Q$APP\E tar -C /var/lib/lafete -cf - storage secrets > \Q$ENV{CT_TMP}/media.tar\E 2>>\Q$E{CT_LOG}\E") == 0,
   'media (and development secrets) archived from the volume');
ok(compose('stop', 'app'), 'app stopped');
ok(run_logged('podman', 'exec', $DB, 'dropdb', '-U', 'lafete', 'lafete'), 'database dropped');
ok(run_logged('podman', 'exec', $DB, 'createdb', '-U', 'lafete', 'lafete'), 'empty database created');
ok(system("podman exec -i \Q$DB\E pg_restore -U lafete -d lafete --no-owner < \Q$dump\E >>\Q$E{CT_LOG}\E 2>&1") == 0, 'pg_restore');
ok(compose('start', 'app'), 'app started');
ok(wait_health(120), 'back up after the restore');
my $restored = req(GET => "/api/orders/$order->{id}", token => $u->{token});
is($restored->{status}, 200, 'the restored database serves the same order');
is($restored->{json}{totalAmount}, $order->{totalAmount}, 'same total');
is(scalar @{ req(GET => '/api/orders', token => $u->{token})->{json}{items} || [] }, 1, "the customer's order list is the same");

done_testing();
