package LaFete::Test;
# LaFete::Test: helpers for the integration tests: HTTPS requests to the stack
# started by script/test, JSON, users and tokens, the database, the processes.
use strict;
use warnings;
use Exporter 'import';
use HTTP::Tiny;
use File::Path ();
use JSON::PP;
use Test::More;
use Time::HiRes qw(time sleep);

our @EXPORT = qw(api req json_of base_url register_user login admin_token psql psql_row
                 app_master_pid worker_pids listener_pid children_of wait_for uniq_email stack_dir fake_get fake_post
                 jwt_forge);

my $json = JSON::PP->new->utf8->canonical->allow_nonref;
my $http = HTTP::Tiny->new(verify_SSL => 0, timeout => 30, max_redirect => 0, keep_alive => 1);

# Every response of the API (BASE_URL/api/... and /track/...) that this test file receives, through req()
# or through any HTTP::Tiny of its own (forked children included), is written to
# $STACK_DIR/openapi/<file>.<pid>.jsonl; when the file ends, t/openapi/validate.js checks
# each against doc/openapi.json (route, status, content type, JSON Schema 2020-12) and
# every response that breaks the document is a failing test naming method, path, status
# and the validator's error. README "The API document".
my $test_pid = $$;
my $openapi_root = do { (my $d = __FILE__) =~ s{/lib/LaFete/Test\.pm$}{}; $d };
my $openapi_log;
{
    my $request = \&HTTP::Tiny::request;
    no warnings 'redefine';
    *HTTP::Tiny::request = sub {
        my ($self, $method, $url) = @_;
        my $res = $request->(@_);
        record_response($method, $url, $res);
        return $res;
    };
}

sub record_response {
    my ($method, $url, $res) = @_;
    my $base = $ENV{BASE_URL} or return;
    return unless (index($url, "$base/api/") == 0 || index($url, "$base/track/") == 0)
        && $res->{status} != 599 && $ENV{STACK_DIR};
    my $type = $res->{headers}{'content-type'} // '';
    my $content = $res->{content} // '';
    my %r = (method => $method, path => substr($url, length $base), status => $res->{status} + 0,
             type => $type, length => length $content);
    if ($type =~ m{application/json} && length $content) {
        my $v = eval { $json->decode($content) };
        $r{body} = $v unless $@;
    }
    unless ($openapi_log) {
        my $dir = "$ENV{STACK_DIR}/openapi";
        File::Path::make_path($dir);
        (my $name = $0) =~ s{.*/}{};
        $openapi_log = "$dir/$name.$test_pid.jsonl";
    }
    # one write per line, appended: forked children share the file
    open my $fh, '>>', $openapi_log or die "$openapi_log: $!";
    syswrite $fh, $json->encode(\%r) . "\n";
    close $fh;
}

sub check_responses_against_openapi {
    return unless $openapi_log && -s $openapi_log;
    my $tb = Test::More->builder;
    return if $tb->{Skip_All};
    my $validator = "$openapi_root/openapi/validate.js";
    unless (-d "$openapi_root/openapi/node_modules/ajv" && grep { -x "$_/node" } split /:/, $ENV{PATH}) {
        $tb->diag('responses not checked against doc/openapi.json: node or t/openapi/node_modules missing');
        return;
    }
    my $doc = $ENV{OPENAPI_PATH} // "$openapi_root/../doc/openapi.json";
    open my $out, '-|', 'node', $validator, $doc, $openapi_log or return $tb->ok(0, "validate.js: $!");
    my @bad;
    my $summary;
    while (my $line = <$out>) {
        my $m = eval { $json->decode($line) } or next;
        if (exists $m->{checked}) { $summary = $m } else { push @bad, $m }
    }
    close $out;
    return $tb->ok(0, 'responses checked against doc/openapi.json') unless $summary;
    for my $b (@bad) {
        $tb->ok(0, "the answer to $b->{method} $b->{path} ($b->{status}) follows doc/openapi.json");
        $tb->diag($b->{error});
    }
    $tb->note("$summary->{checked} responses checked against doc/openapi.json, $summary->{failed} broke it");
}

END {
    if ($$ == $test_pid) {
        local $?;
        check_responses_against_openapi();
    }
}

# A new connection for this process: a forked child must not share its
# parent's kept-alive connection (LaFete::Faults::in_background does this).
sub reset_client { $http = HTTP::Tiny->new(verify_SSL => 0, timeout => 30, max_redirect => 0, keep_alive => 1) }

sub base_url  { $ENV{BASE_URL} or die "BASE_URL unset: run the tests through script/test\n" }
sub stack_dir { $ENV{STACK_DIR} }
sub json_of   { my $s = shift; my $v = eval { $json->decode($s) }; $v }

# req(METHOD, PATH, %opt): opt json => data, raw => bytes, token => JWT,
# headers => {...}, type => content-type. Returns {status, headers, content, json}.
sub req {
    my ($method, $path, %o) = @_;
    my %h = %{ $o{headers} || {} };
    $h{Authorization} = "Bearer $o{token}" if $o{token};
    my $body;
    if (exists $o{json}) {
        $body = $json->encode($o{json});
        $h{'Content-Type'} //= 'application/json';
    } elsif (defined $o{raw}) {
        $body = $o{raw};
    }
    $h{'Content-Type'} = $o{type} if $o{type};
    my $url = $path =~ m{^https?://} ? $path : base_url() . $path;
    my $res = $http->request($method, $url, { headers => \%h, (defined $body ? (content => $body) : ()) });
    $res->{json} = json_of($res->{content}) if ($res->{headers}{'content-type'} // '') =~ m{application/json};
    return $res;
}
sub api { req(@_) }

my $seq = 0;
sub uniq_email { sprintf 'user-%d-%d-%d@example.test', $$, time * 1000 % 1e9, ++$seq }

# Registers a fresh customer; returns {token, user, email, password}.
sub register_user {
    my (%o) = @_;
    my $email = $o{email} // uniq_email();
    my $pw = $o{password} // 'correct horse battery';
    my $r = req(POST => '/api/auth/register', json => {
        email => $email, password => $pw, name => $o{name} // 'Test Customer',
        phone => $o{phone} // '9876543210' });
    die "register failed: $r->{status} $r->{content}" unless $r->{status} == 201;
    return { %{ $r->{json} }, email => $email, password => $pw };
}

sub login {
    my ($email, $pw) = @_;
    my $r = req(POST => '/api/auth/login', json => { email => $email, password => $pw });
    return $r->{status} == 200 ? $r->{json}{token} : undef;
}

my $admin;
sub admin_token { $admin //= login($ENV{ADMIN_EMAIL}, $ENV{ADMIN_PASSWORD}) or die "admin login failed" }

# psql(SQL, @params): runs SQL on the app's database, with :'p1', :'p2'... bound to
# @params by psql itself (quoted as literals); returns rows as arrayrefs. Talks to
# PostgreSQL itself (PG_HOST/PG_PORT) when the app's DB_HOST/DB_PORT name a pooler.
sub psql {
    my ($sql, @params) = @_;
    my @cmd = ('psql', '-X', '-q', '-tA', '-F', "\x1f", '-h', $ENV{PG_HOST} // $ENV{DB_HOST},
               '-p', $ENV{PG_PORT} // $ENV{DB_PORT},
               '-U', $ENV{DB_USERNAME}, '-d', $ENV{DB_NAME}, '-v', 'ON_ERROR_STOP=1');
    my $i = 0;
    push @cmd, '-v', 'p' . ++$i . "=$_" for @params;
    local $ENV{PGPASSWORD} = $ENV{DB_PASSWORD};
    # variables are substituted in SQL read from a file or stdin, not in -c
    require IPC::Open2;
    my $pid = IPC::Open2::open2(my $out, my $in, @cmd, '-f', '-');
    print $in $sql, ";\n";
    close $in;
    my @rows = map { chomp; [ split /\x1f/, $_, -1 ] } grep { length } <$out>;
    waitpid($pid, 0);
    die "psql failed for: $sql\n" if $?;
    return @rows;
}
sub psql_row { my @r = psql(@_); return $r[0] ? @{ $r[0] } : () }

sub app_master_pid {
    open my $fh, '<', "$ENV{STACK_DIR}/run/app.pid" or die "no app.pid";
    chomp(my $pid = <$fh>);
    return $pid;
}
# children_of(PID): a master's workers, and its listener (by its process name).
sub children_of {
    my ($master) = @_;
    my (@workers, $listener);
    for my $pid (grep { /^\d+$/ } split /\s+/, `pgrep -P $master`) {
        open my $fh, '<', "/proc/$pid/comm" or next;
        chomp(my $comm = <$fh> // '');
        if ($comm eq 'lafete-listen') { $listener = $pid } else { push @workers, $pid }
    }
    return (\@workers, $listener);
}
sub worker_pids { @{ (children_of(app_master_pid()))[0] } }
sub listener_pid { (children_of(app_master_pid()))[1] }

# wait_for(sub { cond }, seconds): polls until true; returns the last value.
sub wait_for {
    my ($cond, $secs) = @_;
    my $deadline = time + ($secs // 10);
    while (1) {
        my $v = $cond->();
        return $v if $v || time > $deadline;
        sleep 0.05;
    }
}

sub fake_get  { my ($base, $path) = @_; my $r = $http->get("$base$path"); json_of($r->{content}) }
sub fake_post {
    my ($base, $path, $data) = @_;
    my $r = $http->post("$base$path", { headers => { 'Content-Type' => 'application/json' },
                                       content => $json->encode($data // {}) });
    return json_of($r->{content});
}

# jwt_forge(header => {...}, payload => {...}, key => secret or undef): builds a token.
sub jwt_forge {
    my (%o) = @_;
    require Digest::SHA; require MIME::Base64;
    my $b64 = sub { my $s = MIME::Base64::encode_base64url(shift); $s =~ s/=+$//; $s };
    my $h = $b64->($json->encode($o{header} // { alg => 'HS256', typ => 'JWT' }));
    my $p = $b64->($json->encode($o{payload}));
    my $sig = defined $o{key} ? $b64->(Digest::SHA::hmac_sha256("$h.$p", $o{key})) : '';
    return "$h.$p.$sig";
}

1;
