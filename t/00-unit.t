#!/usr/bin/perl
# 00-unit.t: runs each C unit test (they print TAP) as a subtest.
use strict;
use warnings;
use Test::More;

my $build = $ENV{BUILD_DIR} or plan skip_all => 'BUILD_DIR unset (run through script/test)';
system("make -s -C $build t/unit/test_util t/unit/test_json t/unit/test_router t/unit/test_conf t/unit/test_render t/unit/test_multipart >/dev/null") == 0
    or BAIL_OUT('cannot build the unit tests');
$ENV{SPEC_DIR} = 't/spec/mustache';
for my $t (qw(test_util test_json test_router test_conf test_render test_multipart)) {
    subtest $t => sub {
        my @out = `$build/t/unit/$t 2>&1`;
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
