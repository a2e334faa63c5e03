#!/usr/bin/perl
# 00-unit.t: runs each C unit test of Makefile.am's check_PROGRAMS (they print TAP) as a subtest.
use strict;
use warnings;
use Test::More;

my $build = $ENV{BUILD_DIR} or plan skip_all => 'BUILD_DIR unset (run through script/test)';
open my $fh, '<', 'Makefile.am' or die "Makefile.am: $!";
my $am = do { local $/; <$fh> };
$am =~ s/\\\n/ /g;
my ($list) = $am =~ /^check_PROGRAMS\s*=\s*(.*)$/m or BAIL_OUT('no check_PROGRAMS in Makefile.am');
my @tests = split ' ', $list;
system("make -s -C $build @tests >/dev/null") == 0 or BAIL_OUT('cannot build the unit tests');
$ENV{SPEC_DIR} = 't/spec/mustache';
for my $t (@tests) {
    subtest $t => sub {
        my @out = `$build/$t 2>&1`;
        my $rc = $? >> 8;
        my ($plan) = grep { /^1\.\.\d+/ } @out;
        my @not = grep { /^not ok/ } @out;
        ok($plan, "$t printed a plan");
        my ($n) = ($plan // '') =~ /^1\.\.(\d+)/;
        my $oks = grep { /^ok \d+/ } @out;
        is($oks, $n, "$t: all $n assertions passed") or diag(@not);
        is($rc, 0, "$t exited 0");
    };
}
done_testing;
