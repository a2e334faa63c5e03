package MiniHTTPD;

# A tiny forking HTTP/1.1 server for test fakes, bound to 127.0.0.1 only (or to
# FAKE_BIND_ADDR: script/test-deploy runs a fake inside its own container network).
#
#   my $srv = MiniHTTPD->new(port => 0);          # 0 = pick a free port
#   print "PORT ", $srv->port, "\n";
#   $srv->run(sub { my ($req) = @_; return [200, {'Content-Type' => 'text/plain'}, "hi\n"] });
#
# $req = { method, target, path (raw, without query), query (raw string),
#          query_params {name => last value}, query_multi {name => [values]},
#          headers {lowercased name => value}, body (raw bytes), peer }
#
# The handler returns [status, {headers}, body], or undef to close the
# connection without any answer (used to simulate timeouts).  Every
# connection is served by its own forked child, and is closed after one
# response (`Connection: close`), so a handler may sleep freely.
#
# Because of fork, shared state lives in files: see state_txn / state_read /
# log_append / log_read / fault_* below (flock-protected JSON).
#
# The server exits when the process that started it is gone: it watches
# `parent` (default: getppid() at start; 0 = don't watch) twice a second.

use strict;
use B ();
use warnings;
use IO::Socket::INET;
use IO::Select;
use POSIX qw(:sys_wait_h);
use Fcntl qw(:flock O_RDWR O_CREAT);
use JSON::PP;
use Encode ();
use Time::HiRes ();

our $JSON = JSON::PP->new->utf8->canonical->allow_nonref;

my %REASON = (
    100 => 'Continue', 200 => 'OK', 201 => 'Created', 204 => 'No Content',
    400 => 'Bad Request', 401 => 'Unauthorized', 403 => 'Forbidden',
    404 => 'Not Found', 405 => 'Method Not Allowed', 409 => 'Conflict',
    411 => 'Length Required', 413 => 'Payload Too Large', 429 => 'Too Many Requests',
    500 => 'Internal Server Error', 501 => 'Not Implemented', 502 => 'Bad Gateway',
    503 => 'Service Unavailable', 504 => 'Gateway Timeout',
);

use constant READ_TIMEOUT => 30;          # seconds of silence before we drop a client
use constant MAX_BODY     => 64 << 20;    # 64 MiB

sub new {
    my ($class, %args) = @_;
    my $addr = $ENV{FAKE_BIND_ADDR} // '127.0.0.1';
    my $sock = IO::Socket::INET->new(
        LocalAddr => $addr,
        LocalPort => $args{port} // 0,
        Proto     => 'tcp',
        Listen    => 64,
        ReuseAddr => 1,
    ) or die "MiniHTTPD: cannot listen on $addr:" . ($args{port} // 0) . ": $!\n";
    my $self = bless {
        sock   => $sock,
        parent => exists $args{parent} ? $args{parent} : getppid(),
    }, $class;
    return $self;
}

sub port { $_[0]{sock}->sockport }

# True while the watched parent process still exists. A fake watching the
# process that started it sees it go at once (it is re-parented); one told to
# watch another process (t/53's second SMTP sink watches the app's master) is
# re-parented when its starter exits, and only asks whether that one lives.
my $born_of = getppid();
sub parent_alive {
    my ($parent) = @_;
    return 1 if !$parent;
    return 0 if $parent == $born_of && getppid() != $born_of;
    return kill(0, $parent) ? 1 : 0;
}

# Accept loop shared by HTTP and non-HTTP fakes: calls $serve->($client) in a
# forked child for each connection.  Returns when the parent process is gone.
sub serve_forked {
    my ($listen, $parent, $serve) = @_;
    local $SIG{CHLD} = 'IGNORE';                 # children are reaped automatically
    local $SIG{PIPE} = 'IGNORE';
    my $sel = IO::Select->new($listen);
    while (1) {
        last unless parent_alive($parent);
        next unless $sel->can_read(0.5);
        my $client = $listen->accept or next;
        my $pid = fork;
        if (!defined $pid) { warn "fork: $!"; close $client; next }
        if ($pid == 0) {
            $SIG{CHLD} = 'DEFAULT';
            close $listen;
            reseed();
            eval { $serve->($client); 1 } or warn "MiniHTTPD child: $@";
            close $client;
            POSIX::_exit(0);
        }
        close $client;
    }
    return;
}

sub run {
    my ($self, $handler) = @_;
    serve_forked($self->{sock}, $self->{parent}, sub { serve_connection($_[0], $handler) });
    exit 0;
}

sub reseed { srand(unpack 'L', random_bytes(4)) }

sub random_bytes {
    my ($n) = @_;
    my $buf = '';
    if (open my $fh, '<:raw', '/dev/urandom') { read $fh, $buf, $n; close $fh }
    $buf .= pack('C', int rand 256) while length $buf < $n;
    return $buf;
}

# Random id: prefix + N case-sensitive alphanumerics.
sub random_id {
    my ($prefix, $n) = @_;
    my @alnum = ('A' .. 'Z', 'a' .. 'z', '0' .. '9');
    return $prefix . join '', map { $alnum[$_ % 62] } unpack 'C*', random_bytes($n);
}

# ---------------------------------------------------------------- reading

# Buffered reader over a socket with an inactivity timeout.
sub _fill {
    my ($conn) = @_;
    my $sel = IO::Select->new($conn->{sock});
    return 0 unless $sel->can_read(READ_TIMEOUT);
    my $n = sysread $conn->{sock}, my $chunk, 65536;
    return 0 unless $n;
    $conn->{buf} .= $chunk;
    return 1;
}

sub _read_line {
    my ($conn) = @_;
    while (1) {
        my $i = index $conn->{buf}, "\n";
        if ($i >= 0) {
            my $line = substr $conn->{buf}, 0, $i + 1, '';
            $line =~ s/\r?\n\z//;
            return $line;
        }
        return undef if length $conn->{buf} > 65536;
        return undef unless _fill($conn);
    }
}

sub _read_bytes {
    my ($conn, $n) = @_;
    while (length $conn->{buf} < $n) { return undef unless _fill($conn) }
    return substr $conn->{buf}, 0, $n, '';
}

sub parse_query {
    my ($q) = @_;
    my (%last, %multi);
    for my $pair (split /[&;]/, $q // '') {
        next if $pair eq '';
        my ($k, $v) = split /=/, $pair, 2;
        $_ = url_decode($_) for $k, $v;
        $v //= '';
        $last{$k} = $v;
        push @{ $multi{$k} }, $v;
    }
    return (\%last, \%multi);
}

sub url_decode {
    my ($s) = @_;
    return undef unless defined $s;
    $s =~ tr/+/ /;
    $s =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge;
    return $s;
}

# Reads one request; returns the $req hash, or undef on EOF/garbage.
sub read_request {
    my ($conn) = @_;
    my $line = _read_line($conn);
    $line = _read_line($conn) while defined $line && $line eq '';    # tolerate stray CRLF
    return undef unless defined $line;
    my ($method, $target, $proto) = $line =~ m{^([A-Z]+) (\S+) (HTTP/1\.[01])$} or return undef;
    my %h;
    while (1) {
        my $hl = _read_line($conn);
        return undef unless defined $hl;
        last if $hl eq '';
        my ($name, $value) = $hl =~ /^([^:\s]+):\s*(.*?)\s*$/ or return undef;
        $name = lc $name;
        $h{$name} = exists $h{$name} ? "$h{$name}, $value" : $value;
    }
    my ($path, $query) = split /\?/, $target, 2;
    $query //= '';
    my ($qp, $qm) = parse_query($query);
    my $req = {
        method => $method, target => $target, path => $path, query => $query,
        query_params => $qp, query_multi => $qm, headers => \%h, proto => $proto,
        peer => $conn->{sock}->peerhost, body => '',
    };

    if (($h{expect} // '') =~ /^100-continue$/i) {
        syswrite $conn->{sock}, "HTTP/1.1 100 Continue\r\n\r\n";
    }
    if (($h{'transfer-encoding'} // '') =~ /chunked/i) {
        my $body = '';
        while (1) {
            my $size_line = _read_line($conn);
            return undef unless defined $size_line;
            my ($hex) = $size_line =~ /^\s*([0-9A-Fa-f]+)/ or return undef;
            my $size = hex $hex;
            if ($size == 0) {                      # trailers until empty line
                while (1) {
                    my $t = _read_line($conn);
                    return undef unless defined $t;
                    last if $t eq '';
                }
                last;
            }
            return undef if length($body) + $size > MAX_BODY;
            my $chunk = _read_bytes($conn, $size);
            return undef unless defined $chunk;
            $body .= $chunk;
            _read_line($conn);                     # CRLF after the chunk
        }
        $req->{body} = $body;
    }
    elsif (defined $h{'content-length'}) {
        my ($len) = $h{'content-length'} =~ /^(\d+)$/ or return undef;
        return undef if $len > MAX_BODY;
        my $body = _read_bytes($conn, $len);
        return undef unless defined $body;
        $req->{body} = $body;
    }
    return $req;
}

# ---------------------------------------------------------------- writing

sub write_response {
    my ($sock, $req, $res) = @_;
    my ($status, $headers, $body) = @$res;
    $headers //= {};
    $body //= '';
    my %hdr = map { lc($_) => [$_, $headers->{$_}] } keys %$headers;
    my $out = "HTTP/1.1 $status " . ($REASON{$status} // 'Status') . "\r\n";
    $out .= "Content-Type: application/json\r\n" unless $hdr{'content-type'};
    $out .= "Content-Length: " . length($body) . "\r\n" unless $hdr{'content-length'};
    $out .= "Connection: close\r\n";
    $out .= "Date: " . http_date() . "\r\n";
    for my $k (sort keys %hdr) {
        next if $k eq 'connection';
        $out .= "$hdr{$k}[0]: $hdr{$k}[1]\r\n";
    }
    $out .= "\r\n";
    $out .= $body unless $req->{method} eq 'HEAD';
    my $off = 0;
    while ($off < length $out) {
        my $n = syswrite $sock, $out, length($out) - $off, $off;
        last unless $n;
        $off += $n;
    }
}

sub http_date {
    my @t = gmtime;
    return POSIX::strftime('%a, %d %b %Y %H:%M:%S GMT', @t);
}

sub serve_connection {
    my ($sock, $handler) = @_;
    binmode $sock;
    my $conn = { sock => $sock, buf => '' };
    my $req = read_request($conn);
    if (!$req) {
        write_response($sock, { method => 'GET' },
            [400, { 'Content-Type' => 'text/plain' }, "bad request\n"]) if length $conn->{buf};
        return;
    }
    my $res = eval { $handler->($req) };
    if (!defined $res) {
        if ($@) {
            warn "handler died: $@";
            $res = [500, { 'Content-Type' => 'text/plain' }, "fake crashed: $@"];
        }
        else {
            return;                                    # close without answer
        }
    }
    write_response($sock, $req, $res);
    shutdown $sock, 1;
}

# ---------------------------------------------------------------- helpers for handlers

sub json_response {
    my ($status, $data, $extra_headers) = @_;
    return [$status, { 'Content-Type' => 'application/json; charset=utf-8', %{ $extra_headers // {} } },
            $JSON->encode($data)];
}

# Decodes a JSON request body; returns (data) or (undef, error message).
sub decode_json_body {
    my ($body) = @_;
    my $data = eval { $JSON->decode($body) };
    return (undef, $@ || 'invalid JSON') if $@;
    return ($data);
}

# Body as text for logs: UTF-8 decoded when valid, else Latin-1 as is.
sub body_text {
    my ($bytes) = @_;
    my $copy = $bytes;
    my $text = eval { Encode::decode('UTF-8', $copy, Encode::FB_CROAK) };
    return defined $text ? $text : $bytes;
}

sub now_ms { int(Time::HiRes::time() * 1000) }

sub iso_time {
    my ($epoch, $offset_min) = @_;
    $offset_min //= 0;
    my @t = gmtime($epoch + 60 * $offset_min);
    my $s = POSIX::strftime('%Y-%m-%dT%H:%M:%S', @t);
    return $s . 'Z' if !$offset_min;
    return $s . sprintf('%s%02d:%02d', $offset_min < 0 ? '-' : '+', abs($offset_min) / 60, abs($offset_min) % 60);
}

# ---------------------------------------------------------------- file state

sub _lock {
    my ($dir, $file) = @_;
    sysopen my $lk, "$dir/$file.lock", O_RDWR | O_CREAT or die "lock $dir/$file.lock: $!";
    flock $lk, LOCK_EX or die "flock: $!";
    return $lk;
}

sub _read_json_file {
    my ($path, $default) = @_;
    open my $fh, '<:raw', $path or return $default;
    local $/;
    my $raw = <$fh>;
    close $fh;
    return $default unless defined $raw && length $raw;
    return $JSON->decode($raw);
}

sub _write_json_file {
    my ($path, $data) = @_;
    my $tmp = "$path.tmp.$$";
    open my $fh, '>:raw', $tmp or die "write $tmp: $!";
    print $fh $JSON->encode($data);
    close $fh or die "close $tmp: $!";
    rename $tmp, $path or die "rename $tmp: $!";
}

# Read-modify-write of DIR/FILE (JSON) under an exclusive lock.  $code gets the
# data (or a deep copy of $default) and may change it in place; the result is
# written back and $code's return value returned.
sub state_txn {
    my ($dir, $file, $default, $code) = @_;
    my $lk = _lock($dir, $file);
    my $data = _read_json_file("$dir/$file", $JSON->decode($JSON->encode($default)));
    my @ret = $code->($data);
    _write_json_file("$dir/$file", $data);
    close $lk;
    return wantarray ? @ret : $ret[0];
}

sub state_read {
    my ($dir, $file, $default) = @_;
    my $lk = _lock($dir, $file);
    my $data = _read_json_file("$dir/$file", $default);
    close $lk;
    return $data;
}

# Append-only JSON-lines log.
sub log_append {
    my ($dir, $file, $record) = @_;
    my $lk = _lock($dir, $file);
    open my $fh, '>>:raw', "$dir/$file" or die "append $dir/$file: $!";
    print $fh $JSON->encode($record), "\n";
    close $fh;
    close $lk;
}

sub log_read {
    my ($dir, $file) = @_;
    my $lk = _lock($dir, $file);
    my @out;
    if (open my $fh, '<:raw', "$dir/$file") {
        while (my $l = <$fh>) { chomp $l; push @out, $JSON->decode($l) if length $l }
        close $fh;
    }
    close $lk;
    return \@out;
}

sub log_clear {
    my ($dir, $file) = @_;
    my $lk = _lock($dir, $file);
    unlink "$dir/$file";
    close $lk;
}

# Record of a request for GET /_fake/requests.
sub request_record {
    my ($req) = @_;
    return {
        method  => $req->{method},
        path    => $req->{path},
        query   => $req->{query},
        headers => $req->{headers},
        body    => body_text($req->{body}),
        at      => now_ms() / 1000,
    };
}

# ---------------------------------------------------------------- fault injection
#
# A fault: {match => regex on "METHOD PATH", mode => "timeout"|"status"|"late"|..., status,
#           delay_ms, drop, count (N; -1 = until reset), ...}.  Stored in DIR/faults.json.

sub fault_validate {
    my ($spec) = @_;
    return 'fault must be an object' unless ref $spec eq 'HASH';
    return 'match (regex) is required' unless defined $spec->{match} && !ref $spec->{match};
    return "bad regex: $@" unless eval { qr/$spec->{match}/; 1 };
    return 'mode is required' unless defined $spec->{mode};
    my $c = $spec->{count} // 1;
    return 'count must be an integer >= 1 or -1' unless $c =~ /^-?\d+$/ && ($c == -1 || $c >= 1);
    return 'delay_ms must be a non-negative integer' if defined $spec->{delay_ms} && $spec->{delay_ms} !~ /^\d+$/;
    return undef;
}

sub fault_add {
    my ($dir, $spec) = @_;
    my %f = %$spec;
    $f{count} //= 1;
    state_txn($dir, 'faults.json', [], sub { push @{ $_[0] }, \%f });
    return \%f;
}

# Returns the first fault matching "METHOD PATH" (consuming one use), or undef.
sub fault_take {
    my ($dir, $req) = @_;
    my $what = "$req->{method} $req->{path}";
    return state_txn($dir, 'faults.json', [], sub {
        my ($faults) = @_;
        for my $i (0 .. $#$faults) {
            my $f = $faults->[$i];
            next unless $what =~ /$f->{match}/;
            if ($f->{count} != -1 && --$f->{count} <= 0) { splice @$faults, $i, 1 }
            return {%$f};
        }
        return undef;
    });
}

# Performs a fault: sleeps delay_ms; for "timeout" returns undef (close without
# answer); otherwise returns $make->($fault), the response to send.
sub fault_apply {
    my ($fault, $make) = @_;
    my $delay = $fault->{delay_ms} // ($fault->{mode} eq 'timeout' ? 5000 : 0);
    Time::HiRes::sleep($delay / 1000) if $delay;
    return undef if $fault->{mode} eq 'timeout';
    return $make->($fault);
}

# The "late" mode: the request is carried out as usual (the order is created,
# the refund made), then its answer is held delay_ms (default 5000) and sent,
# or, with "drop": true, the connection is closed without it: the partner acted
# and the caller cannot know (an unknown outcome). $res is the usual answer.
sub fault_late {
    my ($fault, $res) = @_;
    Time::HiRes::sleep(($fault->{delay_ms} // 5000) / 1000);
    return $fault->{drop} ? undef : $res;
}

# ---------------------------------------------------------------- starting fakes from tests

# Starts a fake script and waits for its "PORT <n>" line.  Returns
# {pid, port, fh}; keep fh open while the fake runs, and call stop().
#   my $f = MiniHTTPD::spawn('t/fakes/razorpay.pl', '--port', 0, '--state', $dir, '--parent', $$);
sub spawn {
    my ($script, @args) = @_;
    my $pid = open(my $out, '-|') // die "fork: $!";
    if (!$pid) {
        exec($^X, $script, @args) or POSIX::_exit(127);
    }
    my $line;
    if (IO::Select->new($out)->can_read(10)) { $line = <$out> }
    if (!defined $line || $line !~ /^PORT (\d+)/) {
        kill 'TERM', $pid;
        die "$script did not print its PORT line\n";
    }
    return { pid => $pid, port => $1, fh => $out, script => $script };
}

sub stop {
    my ($fake) = @_;
    local $?;                                 # keep the caller's exit status (END blocks)
    return unless $fake && $fake->{pid};
    kill 'TERM', $fake->{pid};
    waitpid $fake->{pid}, 0;
    close $fake->{fh};
    delete $fake->{pid};
}

# JSON type of a freshly decoded value: object, array, boolean, null, number, string.
sub jtype {
    return 'null' unless defined $_[0];
    return 'boolean' if JSON::PP::is_bool($_[0]);
    return lc(ref $_[0]) eq 'hash' ? 'object' : 'array' if ref $_[0];
    my $f = B::svref_2object(\$_[0])->FLAGS;
    return ($f & (B::SVp_IOK | B::SVp_NOK)) && !($f & B::SVp_POK) ? 'number' : 'string';
}

sub is_int { jtype($_[0]) eq 'number' && $_[0] == int $_[0] }

# serve_fake(dir => DIR, port => P, parent => PID, handler => \&handle): the main of
# every HTTP fake: listen, write DIR/port, announce "PORT n" on stdout, serve.
sub serve_fake {
    my (%o) = @_;
    my $srv = MiniHTTPD->new(port => $o{port}, defined $o{parent} ? (parent => $o{parent}) : ());
    open my $pf, '>', "$o{dir}/port" or die "$o{dir}/port: $!";
    print $pf $srv->port, "\n";
    close $pf;
    $| = 1;
    print "PORT ", $srv->port, "\n";
    $srv->run($o{handler});
}

1;
