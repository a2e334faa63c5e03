#!/usr/bin/perl
# 05-layers.t: the layers of src/ hold. Every file belongs to one layer, and a
# file includes only headers of its own layer or of the layers below it:
#
#   front    worker, routes, http, handlers and pages      may use everything below
#   domain   the shop's rules (orders, payments, jobs, …)  never the request, replies or pages
#   partner  clients of Razorpay, Borzo, SMTP, storage     never the domain or the database
#   kernel   arena, json, db, auth, render, util, …        nothing above
#
# A new file must be placed here, so the shape cannot erode silently.
use strict;
use warnings;
use Test::More;

my %layer_of = (
    kernel => [qw(arena auth buf chart conf ctx db gst json multipart netaddr outcome render render_int render_parse metrics shared timefmt util)],
    partner => [qw(borzo httpc razorpay smtp storage)],
    domain => [qw(
        account_data accounts addresses analytics backlog cart catalog catalog_cache deliveries delivery_status dispatch
        early_events estimate invoices jobs kitchen mail order_fsm order_view orders
        ops payments reconcile refunds slots status
    )],
    front => [qw(
        main cli listener worker fcgi_out routes http handlers jsonutil admin admin_session
        api_accounts api_addresses api_cart api_deliveries api_dispatch api_estimate
        api_metrics api_orders api_payments api_products api_slots
        page_account page_analytics page_jobs page_orders page_products
        health track
    )],
);
my %rank = (kernel => 0, partner => 1, domain => 2, front => 3);
my %layer;
for my $l (keys %layer_of) {
    for my $m (@{ $layer_of{$l} }) {
        BAIL_OUT("$m is placed twice") if exists $layer{$m};
        $layer{$m} = $l;
    }
}

# Partners talk to their partner only: never to our database.
my %forbidden = (partner => { db => 1 });

opendir my $dh, 'src' or BAIL_OUT("src: $!");
my @files = sort grep { /\.[ch]$/ } readdir $dh;
closedir $dh;
ok(@files > 20, 'src/ read');

for my $f (@files) {
    (my $m = $f) =~ s/\.[ch]$//;
    my $l = $layer{$m};
    ok($l, "$f has a layer") or next;
    open my $fh, '<', "src/$f" or BAIL_OUT("src/$f: $!");
    my @bad;
    while (my $line = <$fh>) {
        next unless $line =~ /^\s*#\s*include\s+"([^"]+)\.h"/;
        my $inc = $1;
        my $il = $layer{$inc};
        if (!$il) { push @bad, "$inc.h (no layer)"; next }
        push @bad, "$inc.h ($il)" if $rank{$il} > $rank{$l} || $forbidden{$l}{$inc};
    }
    close $fh;
    ok(!@bad, "$f ($l) includes nothing above it") or diag("src/$f includes " . join(', ', @bad));
}

# Handlers and pages run no SQL: they call one domain function (SQL lives next
# to the rule that needs it).
for my $f (grep { /^(api_|page_)\w+\.c$|^(admin_session|track|health)\.c$/ } @files) {
    open my $fh, '<', "src/$f" or next;
    my $db = grep { /^\s*#\s*include\s+"db\.h"/ } <$fh>;
    ok(!$db, "$f (a handler) runs no SQL of its own");
}

# No circles between modules: x.c including y.h while y.c includes x.h (directly
# or through others) means neither can be read or tested alone.
{
    my %deps;
    for my $f (@files) {
        (my $m = $f) =~ s/\.[ch]$//;
        open my $fh, '<', "src/$f" or next;
        while (<$fh>) {
            $deps{$m}{$1} = 1 if /^\s*#\s*include\s+"([^"]+)\.h"/ && $1 ne $m;
        }
    }
    my (%state, @cycle);
    my $visit;
    $visit = sub {
        my ($m, @path) = @_;
        return if ($state{$m} // 0) == 2;
        if (($state{$m} // 0) == 1) {
            my @c = (@path, $m);
            shift @c while @c && $c[0] ne $m;
            @cycle = @c unless @cycle;
            return;
        }
        $state{$m} = 1;
        $visit->($_, @path, $m) for sort keys %{ $deps{$m} // {} };
        $state{$m} = 2;
    };
    $visit->($_) for sort keys %deps;
    ok(!@cycle, 'no circle of includes between modules') or diag('circle: ' . join(' -> ', @cycle));
}

# The check itself can fail: a domain file that includes the request is caught.
{
    my $l = $layer{order_fsm};
    is($l, 'domain', 'the state machine is domain code');
    ok($rank{ $layer{http} } > $rank{$l}, 'and http.h sits above it');
}

done_testing;
