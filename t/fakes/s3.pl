#!/usr/bin/perl
# Fake S3-compatible storage (path-style) that fully verifies AWS SigV4 headers.
#
#   perl t/fakes/s3.pl --port 0 --state DIR --access-key AK --secret-key SK --region R [--parent PID]
#
# Prints "PORT <n>" on stdout and writes DIR/port.  Objects live in DIR/objects.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Getopt::Long;
use Digest::SHA qw(sha256_hex hmac_sha256 hmac_sha256_hex);
use Digest::MD5 qw(md5_hex);
use File::Path qw(make_path);
use Time::Local qw(timegm);
use MiniHTTPD;

my %opt = (port => 0, 'access-key' => 'AKIAFAKE', 'secret-key' => 'fake-secret', region => 'us-east-1');
GetOptions(\%opt, 'port=i', 'state=s', 'access-key=s', 'secret-key=s', 'region=s', 'parent=i')
    or die "usage: $0 --port P --state DIR --access-key AK --secret-key SK --region R [--parent PID]\n";
die "--state DIR is required\n" unless $opt{state};
my $DIR = $opt{state};
make_path("$DIR/objects");

use constant MAX_SKEW => 15 * 60;

# ------------------------------------------------------------------ helpers

sub xml_escape {
    my ($s) = @_;
    $s =~ s/&/&amp;/g; $s =~ s/</&lt;/g; $s =~ s/>/&gt;/g; $s =~ s/"/&quot;/g;
    return $s;
}

sub s3_error {
    my ($status, $code, $message, %extra) = @_;
    my $xml = qq{<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>$code</Code><Message>}
            . xml_escape($message) . '</Message>';
    $xml .= "<$_>" . xml_escape($extra{$_}) . "</$_>" for sort keys %extra;
    $xml .= '<RequestId>' . MiniHTTPD::random_id('', 16) . '</RequestId></Error>';
    return [$status, { 'Content-Type' => 'application/xml' }, $xml];
}

# RFC 3986 encoding as SigV4 wants it: everything but A-Z a-z 0-9 - . _ ~ (and '/' in paths).
sub uri_encode {
    my ($s, $keep_slash) = @_;
    my $re = $keep_slash ? qr{([^A-Za-z0-9\-._~/])} : qr{([^A-Za-z0-9\-._~])};
    $s =~ s/$re/sprintf('%%%02X', ord $1)/ge;
    return $s;
}

sub pct_decode { my ($s) = @_; $s =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge; return $s }

sub canonical_query {
    my ($raw) = @_;
    my @pairs;
    for my $p (split /&/, $raw // '') {
        next if $p eq '';
        my ($k, $v) = split /=/, $p, 2;
        push @pairs, [uri_encode(pct_decode($k)), uri_encode(pct_decode($v // ''))];
    }
    return join '&', map { "$_->[0]=$_->[1]" } sort { $a->[0] cmp $b->[0] || $a->[1] cmp $b->[1] } @pairs;
}

# Returns undef when the request is properly signed, else an error response.
sub verify_sigv4 {
    my ($req) = @_;
    my $h = $req->{headers};
    my $auth = $h->{authorization};
    return s3_error(403, 'AccessDenied', 'Access Denied') unless defined $auth;
    my ($cred, $signed, $sig) = $auth =~
        /^AWS4-HMAC-SHA256\s+Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})\s*$/
        or return s3_error(400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed.');
    my ($ak, $date, $region, $service, $term) = split m{/}, $cred;
    return s3_error(400, 'AuthorizationHeaderMalformed', 'The Credential is malformed.')
        unless defined $term && $term eq 'aws4_request' && $date =~ /^\d{8}$/;
    return s3_error(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.')
        unless $ak eq $opt{'access-key'};
    return s3_error(400, 'AuthorizationHeaderMalformed', "The authorization header is malformed; the region '$region' is wrong; expecting '$opt{region}'")
        unless $region eq $opt{region};
    return s3_error(400, 'AuthorizationHeaderMalformed', "The authorization header is malformed; incorrect service '$service'. This endpoint belongs to 's3'.")
        unless $service eq 's3';

    my $amz_date = $h->{'x-amz-date'};
    return s3_error(400, 'InvalidRequest', 'Missing required header for this request: x-amz-date') unless defined $amz_date;
    my $payload = $h->{'x-amz-content-sha256'};
    return s3_error(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256') unless defined $payload;
    my ($Y, $M, $D, $hh, $mm, $ss) = $amz_date =~ /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/
        or return s3_error(403, 'AccessDenied', 'X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'"');
    return s3_error(403, 'SignatureDoesNotMatch', 'The date in the Credential scope does not match X-Amz-Date.')
        unless substr($amz_date, 0, 8) eq $date;
    my $t = eval { timegm($ss, $mm, $hh, $D, $M - 1, $Y) } // 0;
    return s3_error(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.')
        if abs(time - $t) > MAX_SKEW;

    my @signed = split /;/, $signed;
    my %is_signed = map { $_ => 1 } @signed;
    return s3_error(403, 'AccessDenied', 'SignedHeaders must include host.') unless $is_signed{host};
    for my $must (grep { /^x-amz-/ } sort keys %$h) {
        return s3_error(403, 'AccessDenied', "Header $must is present but not signed.") unless $is_signed{$must};
    }
    return s3_error(403, 'SignatureDoesNotMatch', 'SignedHeaders must be sorted and lower case.')
        unless join(';', sort @signed) eq $signed && lc($signed) eq $signed;
    my $canon_headers = '';
    for my $name (@signed) {
        return s3_error(403, 'SignatureDoesNotMatch', "Signed header $name is missing.") unless defined $h->{$name};
        (my $v = $h->{$name}) =~ s/^\s+|\s+$//g;
        $v =~ s/\s+/ /g;
        $canon_headers .= "$name:$v\n";
    }
    my $canonical_request = join "\n", $req->{method}, uri_encode(pct_decode($req->{path}), 1),
        canonical_query($req->{query}), $canon_headers, $signed, $payload;
    my $scope = "$date/$region/s3/aws4_request";
    my $string_to_sign = join "\n", 'AWS4-HMAC-SHA256', $amz_date, $scope, sha256_hex($canonical_request);
    my $k = hmac_sha256($date, "AWS4$opt{'secret-key'}");
    $k = hmac_sha256($region, $k);
    $k = hmac_sha256('s3', $k);
    $k = hmac_sha256('aws4_request', $k);
    my $expected = hmac_sha256_hex($string_to_sign, $k);
    return s3_error(403, 'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
        AWSAccessKeyId => $ak, StringToSign => $string_to_sign, CanonicalRequest => $canonical_request,
        SignatureProvided => $sig)
        unless $expected eq $sig;

    # The payload hash is signed; now check it against the body.
    return undef if $payload eq 'UNSIGNED-PAYLOAD';
    return s3_error(501, 'NotImplemented', 'Streaming (aws-chunked) uploads are not supported by this fake.')
        if $payload =~ /^STREAMING-/;
    return s3_error(400, 'InvalidArgument', 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a SHA-256 hex digest.')
        unless $payload =~ /^[0-9a-f]{64}$/;
    return s3_error(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.")
        unless sha256_hex($req->{body}) eq $payload;
    return undef;
}

sub object_file { my ($bucket, $key) = @_; return "$DIR/objects/" . sha256_hex("$bucket/$key") }

# ------------------------------------------------------------------ dispatch

sub handle {
    my ($req) = @_;
    my ($m, $p) = ($req->{method}, $req->{path});
    return control($req) if $p =~ m{^/_fake/};

    my $rec = MiniHTTPD::request_record($req);
    delete $rec->{body};
    $rec->{body_length} = length $req->{body};
    $rec->{body_sha256} = sha256_hex($req->{body});
    MiniHTTPD::log_append($DIR, 'requests.jsonl', $rec);

    if (my $fault = MiniHTTPD::fault_take($DIR, $req)) {
        return MiniHTTPD::fault_apply($fault, sub {
            my $st = $_[0]{status} // 503;
            return s3_error($st, $st == 503 ? 'SlowDown' : 'InternalError',
                            $st == 503 ? 'Please reduce your request rate.' : 'We encountered an internal error. Please try again.');
        });
    }

    my ($bucket, $key) = pct_decode($p) =~ m{^/([^/]+)(?:/(.*))?$}
        or return s3_error(400, 'InvalidRequest', 'Path-style requests only: /bucket/key');
    $key //= '';

    if ($m eq 'PUT') {
        my $err = verify_sigv4($req);
        return $err if $err;
        return [200, { 'Content-Type' => 'application/xml' }, ''] if $key eq '';    # "create bucket": no-op
        my $f = object_file($bucket, $key);
        my $etag = '"' . md5_hex($req->{body}) . '"';
        open my $fh, '>:raw', "$f.data.$$" or die "write: $!";
        print $fh $req->{body};
        close $fh;
        rename "$f.data.$$", "$f.data" or die "rename: $!";
        my $meta = { bucket => $bucket, key => $key, size => length $req->{body}, etag => $etag,
                     sha256 => sha256_hex($req->{body}),
                     content_type => $req->{headers}{'content-type'} // 'binary/octet-stream' };
        MiniHTTPD::state_txn("$DIR/objects", (split m{/}, $f)[-1] . '.json', {}, sub { %{ $_[0] } = %$meta });
        return [200, { 'Content-Type' => 'application/xml', ETag => $etag }, ''];
    }
    if ($m eq 'GET' || $m eq 'HEAD') {
        if (defined $req->{headers}{authorization}) {
            my $err = verify_sigv4($req);
            return $err if $err;
        }
        my $f = object_file($bucket, $key);
        open my $fh, '<:raw', "$f.data"
            or return s3_error(404, 'NoSuchKey', 'The specified key does not exist.', Key => $key);
        local $/;
        my $data = <$fh> // '';
        close $fh;
        my $meta = MiniHTTPD::state_read("$DIR/objects", (split m{/}, $f)[-1] . '.json', {});
        return [200, { 'Content-Type' => $meta->{content_type} // 'binary/octet-stream',
                       ETag => $meta->{etag} // '"' . md5_hex($data) . '"' }, $data];
    }
    if ($m eq 'DELETE') {
        my $err = verify_sigv4($req);
        return $err if $err;
        my $f = object_file($bucket, $key);
        unlink "$f.data", "$f.json";
        return [204, {}, ''];
    }
    return s3_error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
}

sub control {
    my ($req) = @_;
    my ($m, $p) = ($req->{method}, $req->{path});
    return MiniHTTPD::json_response(200, MiniHTTPD::log_read($DIR, 'requests.jsonl'))
        if $m eq 'GET' && $p eq '/_fake/requests';
    if ($m eq 'POST' && $p eq '/_fake/reset') {
        unlink glob "$DIR/objects/*";
        MiniHTTPD::state_txn($DIR, 'faults.json', [], sub { @{ $_[0] } = () });
        MiniHTTPD::log_clear($DIR, 'requests.jsonl');
        return MiniHTTPD::json_response(200, { ok => JSON::PP::true });
    }
    if ($m eq 'POST' && $p eq '/_fake/fault') {
        my ($b, $err) = MiniHTTPD::decode_json_body($req->{body});
        return MiniHTTPD::json_response(400, { error => "bad JSON: $err" }) if $err;
        my $why = MiniHTTPD::fault_validate($b);
        $why //= 'mode must be timeout or status' unless ($b->{mode} // '') =~ /^(timeout|status)$/;
        return MiniHTTPD::json_response(400, { error => $why }) if $why;
        return MiniHTTPD::json_response(200, MiniHTTPD::fault_add($DIR, $b));
    }
    return MiniHTTPD::json_response(404, { error => "no such control endpoint: $m $p" });
}

# ------------------------------------------------------------------ main

MiniHTTPD::serve_fake(dir => $DIR, port => $opt{port}, parent => $opt{parent}, handler => \&handle);
