package LaFete::FCGI;
# LaFete::FCGI: a FastCGI client speaking straight to the workers, with the source
# address of our choosing (what nginx does, and what a stranger on the network could).
#
#   my $r = fcgi_get(peer => '10.0.0.2:9000', from => '10.0.0.1', uri => '/api/health');
#   # {connected => 1, bytes => N, stdout => '...', status => 200}
#   fcgi_get(peer => '/path/to.sock', uri => '/api/health')
use strict;
use warnings;
use Exporter 'import';
use IO::Socket::INET;
use IO::Socket::UNIX;
use IO::Select;

our @EXPORT = qw(fcgi_get fcgi_connect fcgi_request_bytes);

sub record {
    my ($type, $content) = @_;
    my $len = length $content;
    my $pad = (8 - $len % 8) % 8;
    return pack('CCnnCC', 1, $type, 1, $len, $pad, 0) . $content . ("\0" x $pad);
}

sub nv {
    my ($n, $v) = @_;
    my $l = sub { length($_[0]) < 128 ? pack('C', length $_[0]) : pack('N', length($_[0]) | 0x80000000) };
    return $l->($n) . $l->($v) . $n . $v;
}

# The bytes of one GET request: BEGIN_REQUEST (responder, connection not kept),
# PARAMS, empty PARAMS, empty STDIN.
sub fcgi_request_bytes {
    my ($uri) = @_;
    my ($path, $query) = split /\?/, $uri, 2;
    my %p = (REQUEST_METHOD => 'GET', REQUEST_URI => $uri, DOCUMENT_URI => $path, QUERY_STRING => $query // '',
             SERVER_PROTOCOL => 'HTTP/1.1', REMOTE_ADDR => '127.0.0.1', REQUEST_ID => 'fcgi-test');
    return record(1, pack('nCx5', 1, 0)) . record(4, join '', map { nv($_, $p{$_}) } sort keys %p)
         . record(4, '') . record(5, '');
}

# A connected socket to "host:port", "[v6]:port" or a unix path, from the given source address.
sub fcgi_connect {
    my (%o) = @_;
    return IO::Socket::UNIX->new(Peer => $o{peer}, Type => SOCK_STREAM) if $o{peer} =~ m{^/};
    my ($host, $port) = $o{peer} =~ /^\[?([^\]]+?)\]?:(\d+)$/ or die "bad peer $o{peer}";
    my $class = $host =~ /:/ ? do { require IO::Socket::IP; 'IO::Socket::IP' } : 'IO::Socket::INET';
    return $class->new(PeerAddr => $host, PeerPort => $port, Proto => 'tcp', Timeout => 5,
                       $o{from} ? (LocalAddr => $o{from}) : ());
}

# Sends a GET and reads until the worker closes (or timeout seconds pass).
sub fcgi_get {
    my (%o) = @_;
    my $s = fcgi_connect(%o) or return { connected => 0, error => "$!" };
    $s->autoflush(1);
    print $s fcgi_request_bytes($o{uri} // '/api/health');
    my ($buf, $eof) = ('', 0);
    my $sel = IO::Select->new($s);
    my $deadline = time + ($o{timeout} // 10);
    while (time < $deadline) {
        last unless $sel->can_read(0.5);
        my $n = sysread($s, my $chunk, 65536);
        if (!$n) { $eof = 1; last }    # EOF, or a reset
        $buf .= $chunk;
    }
    close $s;
    my $stdout = '';
    my $raw = $buf;
    while (length $raw >= 8) {
        my (undef, $type, undef, $len, $pad) = unpack 'CCnnC', $raw;
        last if length $raw < 8 + $len + $pad;
        $stdout .= substr($raw, 8, $len) if $type == 6;
        substr($raw, 0, 8 + $len + $pad) = '';
    }
    my ($status) = $stdout =~ /^Status: (\d+)/m;
    return { connected => 1, closed => $eof, bytes => length $buf, stdout => $stdout,
             status => $status // (length $stdout ? 200 : undef) };
}

1;
