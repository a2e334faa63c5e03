#!/usr/bin/perl
# 16-json-logs.t: LOG_FORMAT=json writes one JSON object per line (time, level,
# message; for each request its id, route, status, duration and user), and no
# line holds a token, a password, a body or a tracking token.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use POSIX ':sys_wait_h';
use LaFete::Test;

plan skip_all => 'cgi-fcgi is missing (libfcgi-bin)' unless system('command -v cgi-fcgi >/dev/null') == 0;

my $sock = "$ENV{STACK_DIR}/run/json-logs.sock";
my $log = "$ENV{STACK_DIR}/log/json-logs.log";
my $pid = fork // die;
if (!$pid) {
    $ENV{FCGI_SOCKET} = $sock; $ENV{WORKERS} = 2; $ENV{LOG_FORMAT} = 'json';
    open STDERR, '>>', $log or die;
    exec $ENV{LAFETE_BIN}, 'serve';
}
ok(wait_for(sub { -S $sock }, 10), 'an instance with LOG_FORMAT=json listens');

# one request straight to the FastCGI socket, as nginx would send it
sub fcgi {
    my (%p) = @_;
    my $body = delete $p{body} // '';
    local %ENV = (%ENV, REQUEST_METHOD => 'GET', QUERY_STRING => '', CONTENT_LENGTH => length $body,
                  REMOTE_ADDR => '127.0.0.1', %p);
    require IPC::Open2;
    my $cpid = IPC::Open2::open2(my $out, my $in, 'cgi-fcgi', '-bind', '-connect', $sock);
    print $in $body; close $in;
    my $answer = do { local $/; <$out> };
    waitpid($cpid, 0);
    return $answer // '';
}

my $u = register_user();
my $token = $u->{token};
like(fcgi(DOCUMENT_URI => '/api/me', HTTP_AUTHORIZATION => "Bearer $token", REQUEST_ID => 'rid-json-1'),
     qr/^Status: 200/m, 'GET /api/me with a token');
my $secret_pw = 'never-log-this-password-42';
like(fcgi(REQUEST_METHOD => 'POST', DOCUMENT_URI => '/api/auth/login', CONTENT_TYPE => 'application/json',
          body => encode_json({ email => $u->{email}, password => $secret_pw }), REQUEST_ID => 'rid-json-2'),
     qr/^Status: 401/m, 'a wrong password');
my $track = 'tracktoken' . int(rand 1e9) . 'abcdefabcdef';
fcgi(DOCUMENT_URI => "/track/$track", REQUEST_ID => 'rid-json-3');
fcgi(DOCUMENT_URI => "/api/products/00000000-0000-4000-8000-000000000000", REQUEST_ID => "rid-json-4\"\x01\xff");

kill 'TERM', $pid;
ok(wait_for(sub { waitpid($pid, WNOHANG) == $pid }, 15), 'stopped');

open my $fh, '<', $log or die "$log: $!";
my @lines = <$fh>;
close $fh;
ok(@lines >= 6, scalar(@lines) . ' lines');
my (@bad, %access);
for my $line (@lines) {
    my $o = eval { JSON::PP->new->decode($line) };
    if (!$o || ref $o ne 'HASH' || !$o->{time} || !$o->{level} || !defined $o->{message}) { push @bad, $line; next }
    $access{$o->{request_id}} = $o if $o->{message} eq 'access' && $o->{request_id};
}
ok(!@bad, 'every line is a JSON object with time, level and message') or diag($bad[0]);
like($lines[0], qr/^\{"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"/, 'the time first, in UTC');

my $me = $access{'rid-json-1'};
ok($me, 'the access line of GET /api/me');
is($me->{route}, '/api/me', 'its route (the pattern)');
is($me->{status}, 200, 'its status');
is($me->{user_id}, $u->{user}{id}, 'its user');
ok(defined $me->{duration_ms} && $me->{duration_ms} >= 0, 'its duration');
is($access{'rid-json-2'}{status}, 401, 'the failed sign-in');
is($access{'rid-json-3'}{path}, '/track/-', 'the tracking path masked');
ok((grep { $_->{request_id} =~ /^rid-json-4/ && $_->{route} eq '/api/products/{id:uuid}' } values %access),
   'a hostile request id is escaped, the line still parses');

my $all = join '', @lines;
unlike($all, qr/\Q$token\E/, 'no bearer token in the log');
unlike($all, qr/\Q$secret_pw\E/, 'no password');
unlike($all, qr/\Q$u->{email}\E/, 'no body (the email sent to sign in)');
unlike($all, qr/\Q$track\E/, 'no tracking token');

done_testing;
