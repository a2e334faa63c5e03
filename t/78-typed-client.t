#!/usr/bin/perl
# 78-typed-client.t: a client typed from doc/openapi.json by a standard generator walks the
# customer journey. In a scratch directory of the stack: openapi-typescript turns the
# document into api.d.ts, tsc --strict compiles t/openapi/journey.ts against it (a field
# renamed or retyped in the document breaks the build), and node runs it against the
# stack over HTTPS, trusting the stack's own certificate (NODE_EXTRA_CA_CERTS):
# register -> catalog -> address -> cart -> slots -> order -> create-order.
# script/test installs the npm packages (npm ci --prefix t/openapi).
use strict;
use warnings;
use Test::More;
use JSON::PP;
use FindBin;
use File::Path qw(make_path);
use LaFete::Test;

my $dir = "$FindBin::Bin/openapi";
my $bin = "$dir/node_modules/.bin";
plan skip_all => 'node is not installed' unless grep { -x "$_/node" } split /:/, $ENV{PATH};
plan skip_all => 'npm packages missing: npm ci --prefix t/openapi'
    unless -x "$bin/openapi-typescript" && -x "$bin/tsc" && -d "$dir/node_modules/openapi-fetch";

my $work = stack_dir() . "/typed-client";
make_path($work);
symlink "$dir/node_modules", "$work/node_modules" unless -e "$work/node_modules";

sub run_ok {
    my ($name, @cmd) = @_;
    my $out = `@{[ join ' ', map { "'$_'" } @cmd ]} 2>&1`;
    ok($? == 0, $name) or diag $out;
    return $? == 0;
}

run_ok('openapi-typescript generates the types of doc/openapi.json',
       "$bin/openapi-typescript", "$FindBin::Bin/../doc/openapi.json", '--output', "$work/api.d.ts") or BAIL_OUT('no types');
system('cp', "$dir/journey.ts", "$work/journey.ts") == 0 or die "cp: $?";
open my $cfg, '>', "$work/tsconfig.json" or die $!;
print $cfg encode_json({ compilerOptions => {
    strict => JSON::PP::true, noUncheckedIndexedAccess => JSON::PP::false, target => 'ES2022',
    module => 'commonjs', moduleResolution => 'node10', esModuleInterop => JSON::PP::true,
    skipLibCheck => JSON::PP::true, types => ['node'], outDir => 'out' }, files => ['journey.ts'] });
close $cfg;
run_ok('tsc --strict compiles the journey against the generated types', "$bin/tsc", '-p', "$work/tsconfig.json")
    or BAIL_OUT('the typed client does not compile');

# The hook of t/lib/LaFete/Test.pm fails the test file that received a response breaking
# the document: a child test file gets /api/health's answer, checked against a copy of the
# document whose health answer requires one more field.
{
    my $doc = decode_json(do { local $/; open my $fh, '<', "$FindBin::Bin/../doc/openapi.json" or die $!; <$fh> });
    my $schema = $doc->{paths}{'/api/health'}{get}{responses}{200}{content}{'application/json'}{schema};
    push @{ $schema->{required} }, 'uptime';
    $schema->{properties}{uptime} = { type => 'integer' };
    open my $fh, '>', "$work/tampered.json" or die $!;
    print $fh encode_json($doc);
    close $fh;
    open $fh, '>', "$work/child.t" or die $!;
    print $fh "use Test::More; use LaFete::Test; is(req(GET => '/api/health')->{status}, 200, 'health'); done_testing;\n";
    close $fh;
    local $ENV{OPENAPI_PATH} = "$work/tampered.json";
    my $out = `$^X -I$FindBin::Bin/lib $work/child.t 2>&1`;
    isnt($?, 0, 'a test file that received a response breaking the document fails');
    like($out, qr{not ok \d+ - the answer to GET /api/health \(200\) follows doc/openapi\.json}, 'naming method, path and status')
        or diag $out;
    like($out, qr{must have required property 'uptime'}, "and the validator's error");
    $ENV{OPENAPI_PATH} = "$FindBin::Bin/../doc/openapi.json";
    $out = `$^X -I$FindBin::Bin/lib $work/child.t 2>&1`;
    is($?, 0, 'against the true document it passes') or diag $out;
}

# a cake of its own in the catalog
my $name = "Typed Client Cake $$";
my ($pid) = psql_row("INSERT INTO products (slug, name, base_price, lead_time_hours) "
                     . "VALUES (:'p1', :'p2', 999, 12) RETURNING id", "typed-client-$$", $name);
psql("INSERT INTO variants (product_id, label, weight_grams, price, kitchen_units) VALUES (:'p1', '1 kg', 1000, '1299.00', 1)", $pid);

local $ENV{BASE_URL} = base_url();
local $ENV{PRODUCT_NAME} = $name;
local $ENV{NODE_EXTRA_CA_CERTS} = stack_dir() . '/tls/cert.pem';
open(my $out, '-|', 'node', "$work/out/journey.js") or die "node: $!";
my $json = JSON::PP->new->utf8;
my $checks = 0;
while (my $line = <$out>) {
    chomp $line;
    my $m = eval { $json->decode($line) };
    unless (ref $m eq 'HASH') { diag "node: $line"; next }
    $checks++;
    ok($m->{ok}, "typed client: $m->{name}") or diag($m->{diag} // '');
}
close $out;
is($?, 0, 'the journey script exits 0');
cmp_ok($checks, '>=', 14, 'every step of the journey ran');

done_testing;
