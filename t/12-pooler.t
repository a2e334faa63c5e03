#!/usr/bin/perl
# 12-pooler.t: the app leaves no session state behind it, so that a transaction
# pooler (PgBouncer, DB_POOL_MODE=transaction: script/test --pgbouncer) can hand its
# server connections to anyone: no advisory lock outlives a migration, no setting
# of ours reaches another client, and our clock is ours on whichever server
# connection runs a transaction. README "What workers keep in memory".
use strict;
use warnings;
use Test::More;
use HTTP::Tiny;
use LaFete::Test;

my $pooled = ($ENV{DB_POOL_MODE} // '') eq 'transaction';

# psql through the app's DB_HOST/DB_PORT (the pooler, when there is one)
sub app_psql {
    my ($db, $sql) = @_;
    local $ENV{PGPASSWORD} = $ENV{DB_PASSWORD};
    my @out = `psql -X -q -tA -h $ENV{DB_HOST} -p $ENV{DB_PORT} -U $ENV{DB_USERNAME} -d $db -c "$sql" 2>&1`;
    die "psql ($db) failed for $sql: @out" if $?;
    chomp @out;
    return @out;
}

# the migrator's lock is its transactions': nothing holds it once migrate is done,
# though its statements ran on the pooler's server connections
{
    my $out = `$ENV{LAFETE_BIN} migrate schema 2>&1`;
    is($?, 0, 'migrate runs again (nothing to apply)') or diag($out);
    my ($locks) = psql_row("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'");
    is($locks, 0, 'no advisory lock is left behind');
}

SKIP: {
    skip 'the app talks to PostgreSQL directly (script/test --pgbouncer runs these)', 5 unless $pooled;

    my @clients = grep { /\|lafete$/ } app_psql('pgbouncer', 'SHOW CLIENTS');
    cmp_ok(scalar(@clients), '>=', $ENV{WORKERS}, 'the workers are the pooler\'s clients');

    # a server connection left on another clock by someone else's SET: the pooler
    # hands it to us next (it reuses the last one released) with our clock
    my $u = register_user();
    app_psql($ENV{DB_NAME}, "SET TIME ZONE 'America/New_York'");
    my @bad;
    for (1 .. 12) {
        my $r = HTTP::Tiny->new(verify_SSL => 0, timeout => 10)
            ->get(base_url() . '/api/me', { headers => { Authorization => "Bearer $u->{token}" } });
        my $at = (json_of($r->{content}) // {})->{createdAt} // "HTTP $r->{status}";
        push @bad, $at unless $at =~ /\+05:30$/;
    }
    ok(!@bad, 'times in answers stay on the shop\'s clock (+05:30)') or diag("@bad");

    # and nothing of ours reaches the next client of the same server connections
    is((app_psql($ENV{DB_NAME}, 'SHOW TimeZone'))[0], 'UTC', 'another client keeps the server\'s zone');
    is((app_psql($ENV{DB_NAME}, 'SHOW client_min_messages'))[0], 'notice',
       'and its client_min_messages (the app SETs nothing in transaction mode)');
    my ($listen) = psql_row("SELECT count(*) FROM pg_stat_activity WHERE query ILIKE 'LISTEN%'");
    is($listen, 0, 'no session LISTENs');
}

done_testing;
