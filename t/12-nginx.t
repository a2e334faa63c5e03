#!/usr/bin/perl
# 12-nginx.t: nginx's own policy: the TLS suites it offers, the security headers of every location,
# what its access log keeps.
use strict;
use warnings;
use Test::More;
use LaFete::Test;

my ($host, $port) = base_url() =~ m{^https://([^/:]+):(\d+)} or BAIL_OUT('BASE_URL has no port');

# ---------- TLS: forward secrecy and AEAD only (sslscan, Debian's package) ----------
{
    ok(system('sh', '-c', 'command -v sslscan >/dev/null') == 0, 'sslscan is installed (script/bootstrap)');
    my $out = `sslscan --no-colour --no-fallback --no-renegotiation --no-compression --no-heartbleed --no-groups --no-check-certificate $host:$port 2>&1`;
    my @accepted = map { [ (split ' ')[1, 4] ] } grep { /^(Preferred|Accepted)\s/ } split /\n/, $out;
    ok(@accepted >= 2, 'sslscan lists the accepted suites (' . scalar(@accepted) . ')') or diag $out;
    my @weak = map { "$_->[0] $_->[1]" }
        grep { $_->[0] ne 'TLSv1.3' && $_->[1] !~ /^ECDHE-(?:RSA|ECDSA)-(?:AES\d+-GCM-SHA\d+|CHACHA20-POLY1305)$/ } @accepted;
    is_deeply(\@weak, [], 'every TLS 1.2 suite is ECDHE with an AEAD cipher');
    ok(!grep({ $_->[0] =~ /^(?:SSLv|TLSv1\.[01]$)/ } @accepted), 'no SSL, TLS 1.0 or 1.1');
    ok(grep({ $_->[0] eq 'TLSv1.3' } @accepted), 'TLS 1.3 offered');
}

# ---------- every location keeps the security headers ----------
# (an nginx location with an add_header of its own inherits none of the server's)
my $media = "$ENV{STORAGE_DIR}/headers-test.txt";
open my $fh, '>', $media or die "$media: $!"; print $fh "x\n"; close $fh;
for my $path ('/api/health', '/api/nope', '/admin/login', '/admin', '/track/no-such-token-0000', '/static/admin.css',
              '/static/missing.css', '/media/headers-test.txt', '/media/missing.png', '/', '/nothing-here') {
    my $r = req(GET => $path);
    my $h = $r->{headers};
    my @missing = grep { !$h->{$_} } qw(strict-transport-security x-content-type-options referrer-policy);
    push @missing, 'frame protection'
        unless ($h->{'x-frame-options'} // '') eq 'DENY' && ($h->{'content-security-policy'} // '') =~ /frame-ancestors 'none'/;
    is("@missing", '', "$path ($r->{status}): HSTS, nosniff, Referrer-Policy, X-Frame-Options and frame-ancestors");
}
unlink $media;

# ---------- the access log never holds a tracking token ----------
{
    my $token = 'LogLeak' . join '', map { ('a' .. 'z')[rand 26] } 1 .. 20;
    is(req(GET => "/track/$token")->{status}, 404, 'a tracking URL over HTTPS');
    req(GET => "/track/$token/x?y=1");
    is(req(GET => "$ENV{HTTP_URL}/track/$token")->{status}, 301, 'and over plain HTTP');
    my $log = "$ENV{STACK_DIR}/log/nginx-access.log";
    my $lines = wait_for(sub {
        open my $fh, '<', $log or return; my @l = grep { m{/track/} } <$fh>; @l >= 3 ? \@l : undef }, 5) || [];
    ok(@$lines >= 3, 'the requests are in nginx\'s access log');
    is(scalar(grep { /\Q$token\E/ } @$lines), 0, 'without the token') or diag @$lines;
    like($lines->[-1] // '', qr{"GET /track/-"}, 'the path is logged as /track/-');
}

done_testing;
