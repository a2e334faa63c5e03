#!/usr/bin/perl
# 12-nginx.t: nginx's own policy: the TLS suites it offers.
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

done_testing;
