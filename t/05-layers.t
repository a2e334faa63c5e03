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
    kernel => [qw(arena buf util conf ctx db outcome json auth render multipart)],
    partner => [qw(httpc razorpay borzo storage smtp)],
    domain => [qw(order_fsm jobs mail deliveries delivery_status dispatch backlog)],
    front => [qw(main cli worker routes http handlers jsonutil admin admin_session admin_orders
                 admin_products admin_products_pages page_jobs api_deliveries api_dispatch analytics health users addresses
                 products cart slots estimate orders payments track)],
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

# The check itself can fail: a domain file that includes the request is caught.
{
    my $l = $layer{order_fsm};
    is($l, 'domain', 'the state machine is domain code');
    ok($rank{ $layer{http} } > $rank{$l}, 'and http.h sits above it');
}

done_testing;
