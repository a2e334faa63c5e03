#!/usr/bin/perl
# 06-openapi.t: doc/openapi.json passes Redocly CLI's recommended rules (t/openapi/redocly.yaml)
# with no error and no warning; every route of src/routes.c under /api/ is in the document
# and the document has nothing the router does not serve; every operation has its
# operationId, summary and security, its request body where the route takes one, and a
# response schema for every status but 204 and 304. Needs no stack. script/test installs the npm
# packages (npm ci --prefix t/openapi); without them the lint is skipped.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use FindBin;

my $root = "$FindBin::Bin/..";
my $doc_path = "$root/doc/openapi.json";
my $doc = do { local $/; open my $fh, '<', $doc_path or die "$doc_path: $!"; decode_json(<$fh>) };

# the router's table and the document name the same operations
my (%routes, %bodies);
open my $rt, '<', "$root/src/routes.c" or die "routes.c: $!";
while (<$rt>) {
    next unless /^\s*\{ "(\w+)", "([^"]+)", \w+, (AUTH_\w+), (BODY_\w+)/;
    my ($m, $p, $auth, $body) = ($1, $2, $3, $4);
    next unless $p =~ m{^/(api|track)/};
    $p =~ s/\{(\w+):\w+\}/{$1}/g;
    $routes{"$m $p"} = $auth;
    $bodies{"$m $p"} = $body;
}
my %ops;
for my $p (keys %{ $doc->{paths} }) {
    for my $m (grep { /^(get|put|post|patch|delete)$/ } keys %{ $doc->{paths}{$p} }) {
        $ops{ uc($m) . " $p" } = $doc->{paths}{$p}{$m};
    }
}
is_deeply([sort keys %ops], [sort keys %routes], 'the document has exactly the /api/ and /track/ routes of src/routes.c');
sub deref {
    my ($o) = @_;
    while ($o->{'$ref'}) {
        my $t = $doc;
        $t = $t->{$_} for grep { length && $_ ne '#' } split m{/}, $o->{'$ref'};
        $o = $t;
    }
    return $o;
}
my %seen_id;
for my $k (sort keys %ops) {
    my $op = $ops{$k};
    ok($op->{operationId} && !$seen_id{ $op->{operationId} }++, "$k: a unique operationId");
    ok(length($op->{summary} // ''), "$k: a summary");
    my $auth = $routes{$k} // '';
    if ($auth eq 'AUTH_NONE') {
        is_deeply($op->{security}, [], "$k: public, security []") unless $k eq 'GET /api/delivery/estimate';
    } else {
        ok(@{ $op->{security} // [] } && !grep({ !%$_ } @{ $op->{security} }), "$k: needs a token");
    }
    my @ok = grep { /^2/ } keys %{ $op->{responses} };
    ok(@ok, "$k: a success answer");
    ok($op->{requestBody}{content}, "$k: its request body is documented") if $bodies{$k} ne 'BODY_NONE';
    # every answer but 204 and 304 has a body with a schema
    my @bare = grep {
        my $r = deref($op->{responses}{$_});
        $_ ne '204' && $_ ne '304' && !(($r->{content} && !grep { !$_->{schema} } values %{ $r->{content} }))
    } sort keys %{ $op->{responses} };
    is("@bare", '', "$k: every status has a response schema");
}

SKIP: {
    my $redocly = "$FindBin::Bin/openapi/node_modules/.bin/redocly";
    skip 'npm packages missing: npm ci --prefix t/openapi', 2 unless -x $redocly;
    local $ENV{REDOCLY_TELEMETRY} = 'off';
    local $ENV{REDOCLY_SUPPRESS_UPDATE_NOTICE} = 'true';
    my $out = `'$redocly' lint --config '$FindBin::Bin/openapi/redocly.yaml' --format=json '$doc_path' 2>/dev/null`;
    my $res = eval { decode_json($out) };
    ok($res && $res->{totals}, 'redocly lint answers') or diag $out;
    my @problems = map { "$_->{severity} $_->{ruleId}: $_->{message} at " . join(' ', map { $_->{pointer} // '' } @{ $_->{location} || [] }) }
        @{ $res->{problems} || [] };
    is(scalar @problems, 0, 'redocly lint (recommended rules): no error, no warning') or diag join "\n", @problems;
}

# the validator every test's responses go through (t/lib/LaFete/Test.pm) refuses what
# breaks the document, and only that
SKIP: {
    skip 'npm packages missing: npm ci --prefix t/openapi', 9 unless -d "$FindBin::Bin/openapi/node_modules/ajv";
    my @cases = (
        [1, { method => 'GET', path => '/api/health', status => 200, type => 'application/json', body => { status => 'ok', database => 'ok' } }],
        [0, { method => 'GET', path => '/api/health', status => 200, type => 'application/json', body => { status => 'ok' } }],
        [0, { method => 'GET', path => '/api/health', status => 200, type => 'application/json', body => { status => 'ok', database => 'ok', extra => 1 } }],
        [0, { method => 'GET', path => '/api/health', status => 418, type => 'application/json', body => { error => { code => 'X', message => 'y' } } }],
        [0, { method => 'GET', path => '/api/health', status => 200, type => 'text/html', length => 5 }],
        [1, { method => 'DELETE', path => '/api/health', status => 405, type => 'application/json', body => { error => { code => 'METHOD_NOT_ALLOWED', message => 'no' } } }],
        [0, { method => 'DELETE', path => '/api/health', status => 200, type => 'application/json', body => {} }],
        [1, { method => 'GET', path => '/api/nothing/here?x=1', status => 404, type => 'application/json', body => { error => { code => 'NOT_FOUND', message => 'No such resource' } } }],
        [0, { method => 'POST', path => '/api/orders', status => 200, type => 'application/json', body => { id => 'not an order' } }],
    );
    my $log = "/tmp/06-openapi.$$.jsonl";
    open my $fh, '>', $log or die "$log: $!";
    for (@cases) { my %r = %{ $_->[1] }; $r{length} //= length encode_json($r{body} // ''); print $fh encode_json(\%r), "\n" }
    close $fh;
    my %bad = map { my $m = decode_json($_); exists $m->{checked} ? () : ($m->{line} => $m->{error}) }
        `node '$FindBin::Bin/openapi/validate.js' '$doc_path' '$log'`;
    unlink $log;
    for my $i (0 .. $#cases) {
        my ($good, $r) = @{ $cases[$i] };
        my $error = $bad{ $i + 1 };
        ok($good ? !$error : $error, ($good ? 'the validator accepts' : 'the validator refuses') . " case $i: $r->{method} $r->{path} $r->{status}")
            or diag($error // 'no error');
    }
}

done_testing;
