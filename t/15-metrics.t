#!/usr/bin/perl
# 15-metrics.t: GET /metrics speaks Prometheus' text format (promtool agrees), its
# counters add up every worker's requests and outlive a killed worker, partner
# calls are counted by outcome, the gauges say what the database says, and nginx
# refuses every address but loopback's and METRICS_ALLOW's.
use strict;
use warnings;
use Test::More;
use HTTP::Tiny;
use LaFete::Test;

sub scrape {
    my $r = HTTP::Tiny->new(verify_SSL => 0, timeout => 10)->get(base_url() . '/metrics');
    return $r;
}
# value(TEXT, NAME, LABELS): the sample's value, 0 when absent
sub value {
    my ($text, $name, $labels) = @_;
    my $want = $labels ? "$name\{$labels\}" : $name;
    for (split /\n/, $text) {
        return $1 if /^\Q$want\E (\S+)$/;
    }
    return 0;
}
sub fresh_get { HTTP::Tiny->new(verify_SSL => 0, timeout => 10)->get(base_url() . shift) }

my $r = scrape();
is($r->{status}, 200, '/metrics from loopback 200');
like($r->{headers}{'content-type'}, qr{^text/plain; version=0\.0\.4}, 'the exposition format 0.0.4');
is($r->{headers}{'cache-control'}, 'no-store', 'never cached');

SKIP: {
    skip 'promtool is missing (the prometheus package: script/bootstrap installs it)', 1
        unless system('command -v promtool >/dev/null') == 0;
    my $file = "$ENV{STACK_DIR}/metrics.txt";
    open my $fh, '>', $file or die; print $fh $r->{content}; close $fh;
    my $out = `promtool check metrics < '$file' 2>&1`;
    is($?, 0, 'promtool check metrics passes') or diag($out);
}

# requests: counted by the route table's pattern, over every worker
my $before = scrape()->{content};
my $products = 'route="/api/products",method="GET",status="200"';
my $none = 'route="(none)",method="(any)",status="404"';
my $by_id = 'route="/api/products/{id:uuid}",method="GET",status="404"';
fresh_get('/api/products') for 1 .. 20;
fresh_get('/api/no/such/route') for 1 .. 5;
fresh_get('/api/products/00000000-0000-4000-8000-000000000000') for 1 .. 3;
my $after = scrape()->{content};
is(value($after, 'http_requests_total', $products) - value($before, 'http_requests_total', $products), 20,
   '20 catalog requests counted once each, whichever worker served them');
is(value($after, 'http_requests_total', $none) - value($before, 'http_requests_total', $none), 5,
   'unknown paths under route "(none)"');
is(value($after, 'http_requests_total', $by_id) - value($before, 'http_requests_total', $by_id), 3,
   'the pattern, never the raw path');
unlike($after, qr/00000000-0000-4000-8000-000000000000|no\/such\/route/, 'no raw path in any label');
my $count = 'http_request_duration_seconds_count{route="/api/products",method="GET"}';
is(value($after, $count) - value($before, $count), 20, 'the duration histogram counted them too');
ok(value($after, 'http_request_duration_seconds_bucket{route="/api/products",method="GET",le="+Inf"}') ==
   value($after, $count), 'its +Inf bucket holds every request');

# a killed worker's counts survive it
{
    my ($victim) = worker_pids();
    my $mid = scrape()->{content};
    kill 'KILL', $victim;
    ok(wait_for(sub { my @p = worker_pids(); @p >= 2 && !grep { $_ == $victim } @p }, 10), 'worker replaced');
    my $later = scrape()->{content};
    ok(value($later, 'http_requests_total', $products) >= value($mid, 'http_requests_total', $products),
       'nothing counted before the kill is lost');
    is(value($later, 'lafete_worker_exits_total', 'how="signal"') - value($mid, 'lafete_worker_exits_total', 'how="signal"'),
       1, 'the death is counted');
    is(value($later, 'lafete_worker_starts_total') - value($mid, 'lafete_worker_starts_total'), 1, 'and the replacement');
}

# partner calls, by operation and outcome
{
    my $ok = 'partner="borzo",operation="calculate-order",outcome="ok"';
    my $b = scrape()->{content};
    my $lat = sprintf '12.9%03d', $$ % 1000;    # a coordinate no earlier quote covers
    is(req(GET => "/api/delivery/estimate?lat=$lat&lng=77.6012")->{status}, 200, 'an estimate (one Borzo call)');
    my $a = scrape()->{content};
    is(value($a, 'lafete_partner_calls_total', $ok) - value($b, 'lafete_partner_calls_total', $ok), 1,
       'Borzo calculate-order ok +1');
    ok(value($a, 'lafete_partner_call_duration_seconds_count', 'partner="borzo",operation="calculate-order"') >= 1,
       'with its duration');
}

# gauges: what the database says now
{
    my $tok = $ENV{DISPATCH_TOKEN};
    is(req(POST => '/api/internal/dispatch', token => $tok)->{status}, 200, 'a dispatch pass');
    my $m = scrape()->{content};
    is(value($m, 'lafete_metrics_database_up'), 1, 'the database answered');
    my ($queued) = psql_row("SELECT count(*) FROM jobs WHERE kind = 'send_email' AND state = 'queued'");
    is(value($m, 'lafete_jobs', 'kind="send_email",state="queued"'), $queued, 'queued email jobs as in the database');
    my ($emails) = psql_row("SELECT count(*) FROM emails WHERE state = 'queued'");
    is(value($m, 'lafete_emails_queued'), $emails, 'queued emails');
    my ($tomorrow) = psql_row("SELECT count(*) FROM orders WHERE status = 'PENDING' AND delivery_slot >= "
                              . "(now() AT TIME ZONE 'Asia/Kolkata')::date + 1 AND delivery_slot < "
                              . "(now() AT TIME ZONE 'Asia/Kolkata')::date + 2");
    is(value($m, 'lafete_orders', 'slot_day="tomorrow",status="PENDING"'), $tomorrow, "tomorrow's pending orders");
    my ($at) = psql_row('SELECT extract(epoch FROM last_at)::bigint FROM dispatch_passes');
    is(value($m, 'lafete_dispatch_last_run_timestamp_seconds'), $at, 'the last pass, when it ran');
    ok(abs(value($m, 'lafete_dispatch_last_run_timestamp_seconds') - time) < 60, 'just now');
    for my $src (qw(borzo razorpay)) {
        my ($kept) = psql_row("SELECT count(*) FROM early_events WHERE source = :'p1'", $src);
        is(value($m, 'lafete_early_events', qq{source="$src"}), $kept, "$src events kept early, as in the database");
    }
}

# nginx: loopback only (127.0.0.1, not the rest of 127/8) and METRICS_ALLOW
{
    my $http = HTTP::Tiny->new(verify_SSL => 0, timeout => 10, local_address => '127.0.0.2');
    my $res = $http->get(base_url() . '/metrics');
    is($res->{status}, 403, '/metrics from another address 403');
    like($res->{content}, qr/"code":"FORBIDDEN"/, 'in the API envelope');
    is($http->get(base_url() . '/api/health')->{status}, 200, 'while the API answers that address');
}

done_testing;
