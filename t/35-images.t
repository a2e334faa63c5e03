#!/usr/bin/perl
# 35-images.t: image upload: magic bytes, size cap, local storage served by nginx, S3 storage (SigV4) via a second app instance.
use strict;
use warnings;
use Test::More;
use LaFete::Test;
use LaFete::Faults qw(start_instance stop_instance fcgi);
use Compress::Zlib qw(compress crc32);
use Digest::SHA qw(sha256_hex);
use Time::HiRes qw(sleep);

my $admin = admin_token();
my $cust = register_user()->{token};
my $T = JSON::PP::true;
sub uuid { $_[0] =~ /^[0-9a-f-]{36}$/ or die "not a uuid: $_[0]"; $_[0] }

# a real PNG: w x h RGB gradient
sub png {
    my ($w, $h) = @_;
    my $chunk = sub { pack('N', length $_[1]) . $_[0] . $_[1] . pack('N', crc32($_[0] . $_[1])) };
    my $raw = join '', map { my $y = $_; "\0" . join '', map { pack 'C3', $_ * 8, $y * 8, 128 } 0 .. $w - 1 } 0 .. $h - 1;
    return "\x89PNG\r\n\x1a\n" . $chunk->('IHDR', pack('NNC5', $w, $h, 8, 2, 0, 0, 0))
        . $chunk->('IDAT', compress($raw)) . $chunk->('IEND', '');
}

# multipart(["name", "filename"|undef, "type"|undef, bytes], ...) -> (body, content type)
sub multipart {
    my $b = 'LaFeteBoundary' . int(rand 1e9);
    my $body = join('', map {
        "--$b\r\nContent-Disposition: form-data; name=\"$_->[0]\"" . (defined $_->[1] ? "; filename=\"$_->[1]\"" : '')
        . "\r\n" . (defined $_->[2] ? "Content-Type: $_->[2]\r\n" : '') . "\r\n$_->[3]\r\n" } @_) . "--$b--\r\n";
    return ($body, "multipart/form-data; boundary=$b");
}

sub upload {
    my ($id, $token, @parts) = @_;
    my ($body, $ct) = multipart(@parts);
    return req(POST => "/api/admin/products/$id/images", token => $token, raw => $body, type => $ct);
}

sub new_product {
    my $r = req(POST => '/api/admin/products', token => $admin, json => { name => "Image test $_[0] $$", basePrice => 100 });
    die "create: $r->{content}" unless $r->{status} == 201;
    return $r->{json}{id};
}
sub images_of { my ($id) = @_; [ map { $_->[0] } psql("SELECT unnest(images) FROM products WHERE id = '" . uuid($id) . "'") ] }

my $id = new_product('local');
my $png = png(16, 12);

# local storage, served back by nginx
my $r = upload($id, $admin, ['image', '../../etc/evil name.png', 'image/png', $png]);
is($r->{status}, 201, 'PNG upload 201') or diag $r->{content};
my $url = $r->{json}{images}[-1];
like($url, qr{^/media/products/[0-9a-f]{32}\.png$}, 'stored under a random name with .png, not the client name');
is($r->{headers}{location}, $url, 'Location is the image URL');
is_deeply(images_of($id), [$url], 'recorded in the database');
my $got = req(GET => $url);
is($got->{status}, 200, 'image served by nginx');
is($got->{headers}{'content-type'}, 'image/png', 'as image/png');
ok($got->{content} eq $png, 'same bytes back');
is(req(GET => "/api/products/$id")->{json}{images}[0], $url, 'public product lists the image');

# JPEG and WebP by magic bytes, whatever the declared type
$r = upload($id, $admin, ['image', 'x.bin', 'application/octet-stream', "\xFF\xD8\xFF\xE0\0\x10JFIF\0" . ("j" x 100)]);
is($r->{status}, 201, 'JPEG accepted by content');
like($r->{json}{images}[-1], qr/\.jpg$/, '.jpg');
$r = upload($id, $admin, ['image', 'x.png', 'image/png', "RIFF\x24\0\0\0WEBPVP8 \x18\0\0\0" . ("w" x 50)]);
is($r->{status}, 201, 'WebP accepted by content');
like($r->{json}{images}[-1], qr/\.webp$/, '.webp');
# extra fields are fine
$r = upload($id, $admin, ['alt', undef, undef, 'A cake'], ['image', 'c.png', 'image/png', $png]);
is($r->{status}, 201, 'image among other fields');
is(scalar @{ images_of($id) }, 4, 'four images');

# refusals
my $before = images_of($id);
$r = upload($id, $admin, ['image', 'fake.png', 'image/png', "\x89PNG\r\n\x1a\n" . ('junk' x 20)]);
is($r->{status}, 415, 'PNG signature followed by junk 415');
is($r->{json}{error}{code}, 'UNSUPPORTED_IMAGE', 'UNSUPPORTED_IMAGE');
$r = upload($id, $admin, ['image', 'cake.png', 'image/png', "just some text, not a cake\n"]);
is($r->{status}, 415, 'text file 415');
is($r->{json}{error}{code}, 'UNSUPPORTED_IMAGE', 'code');
$r = upload($id, $admin, ['image', 'a.gif', 'image/gif', "GIF89a\1\0\1\0\0\0\0;"]);
is($r->{status}, 415, 'GIF 415');
$r = upload($id, $admin, ['image', 'big.png', 'image/png', substr($png, 0, 33) . ("\0" x (5 * 1024 * 1024 + 1 - 33))]);
is($r->{status}, 413, 'file of 5 MiB + 1 byte 413');
is($r->{json}{error}{code}, 'PAYLOAD_TOO_LARGE', 'code');
$r = upload($id, $admin, ['photo', 'a.png', 'image/png', $png]);
is($r->{status}, 400, 'missing image field 400');
is($r->{json}{error}{field}, 'image', 'field named');
$r = req(POST => "/api/admin/products/$id/images", token => $admin, raw => "--x\r\nbroken", type => 'multipart/form-data; boundary=x');
is($r->{status}, 400, 'malformed multipart 400');
is($r->{json}{error}{code}, 'MALFORMED_MULTIPART', 'code');
$r = req(POST => "/api/admin/products/$id/images", token => $admin, raw => $png, type => 'multipart/form-data');
is($r->{status}, 400, 'no boundary 400');
$r = req(POST => "/api/admin/products/$id/images", token => $admin, raw => $png, type => 'image/png');
is($r->{status}, 415, 'not multipart 415');
$r = upload($id, $cust, ['image', 'a.png', 'image/png', $png]);
is($r->{status}, 403, 'customer 403');
$r = upload($id, undef, ['image', 'a.png', 'image/png', $png]);
is($r->{status}, 401, 'no token 401');
# the token is checked before the body is read: a request that announces 5 MB and
# sends none of it is answered at once, straight from a worker (nginx buffers the body)
sub fcgi_unsent_body {
    my (%env) = @_;
    pipe(my $in_r, my $in_w) or die "pipe: $!";
    pipe(my $out_r, my $out_w) or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $in_w; close $out_r;
        open STDIN, '<&', $in_r or die; open STDOUT, '>&', $out_w or die;
        @ENV{keys %env} = values %env;
        @ENV{qw(REQUEST_METHOD CONTENT_LENGTH CONTENT_TYPE QUERY_STRING)} =
            ('POST', 5 * 1024 * 1024, 'multipart/form-data; boundary=x', '');
        exec 'cgi-fcgi', '-bind', '-connect', "$ENV{STACK_DIR}/run/lafete.sock";
        exit 127;
    }
    close $in_r; close $out_w;
    my $out = '';
    eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm 5;
        while (sysread($out_r, my $chunk, 4096)) { $out .= $chunk; last if $out =~ /\r?\n\r?\n/ }
        alarm 0;
    };
    kill 'KILL', $pid; waitpid $pid, 0; close $in_w; close $out_r;
    return $out;
}
for my $case (["/api/admin/products/$id/images", {}, qr/^Status: 401/m, 'API upload without a token'],
              ["/api/admin/products/$id/images", { HTTP_AUTHORIZATION => "Bearer $cust" }, qr/^Status: 403/m,
               'API upload with a customer token'],
              ["/admin/products/$id/images", {}, qr/^Status: 303/m, 'admin page upload without a session']) {
    my ($path, $env, $want, $name) = @$case;
    my $t0 = Time::HiRes::time();
    my $out = fcgi_unsent_body(REQUEST_URI => $path, DOCUMENT_URI => $path, %$env);
    like($out, $want, "$name: answered before any of the body came");
    ok(Time::HiRes::time() - $t0 < 4, "$name: at once");
}
for my $i (1 .. 5) {	# through nginx, the body unread, the connection stays sound
    my $r = req(POST => "/api/admin/products/$id/images", raw => 'x' x (5 * 1024 * 1024),
                type => 'multipart/form-data; boundary=x');
    is($r->{status}, 401, "5 MB upload without a token through nginx: 401 ($i)");
}
is(req(GET => '/api/health')->{status}, 200, 'and the workers still answer');
is(upload('00000000-0000-0000-0000-000000000000', $admin, ['image', 'a.png', 'image/png', $png])->{status}, 404, 'unknown product 404');
is(upload('nope', $admin, ['image', 'a.png', 'image/png', $png])->{status}, 404, 'non-uuid product 404');
is_deeply(images_of($id), $before, 'no refused upload was recorded');

# removing an image
$r = req(DELETE => "/api/admin/products/$id/images?url=$url", token => $admin);
is($r->{status}, 200, 'remove image 200');
ok(!(grep { $_ eq $url } @{ $r->{json}{images} }), 'gone from the product');
is(req(GET => $url)->{status}, 404, 'local file removed');
is(req(DELETE => "/api/admin/products/$id/images?url=$url", token => $admin)->{status}, 404, 'removing again 404');
is(req(DELETE => "/api/admin/products/$id/images", token => $admin)->{status}, 400, 'url required');
is(req(DELETE => "/api/admin/products/$id/images?url=%C0%AF", token => $admin)->{status}, 400, 'invalid UTF-8 url 400');

# --- S3: a second app instance configured for the fake S3, spoken to over FastCGI directly
# the stack's fake S3 ($FAKE_S3_URL); when it does not answer, one of our own with the same keys
my $s3 = $ENV{FAKE_S3_URL} or BAIL_OUT('FAKE_S3_URL unset');
my $own_fake;
if (HTTP::Tiny->new(timeout => 5)->get("$s3/_fake/requests")->{status} != 200) {
    require MiniHTTPD;
    my $dir = "$ENV{STACK_DIR}/fakes/s3-own-$$";
    mkdir $dir;
    $own_fake = MiniHTTPD::spawn('t/fakes/s3.pl', '--port', 0, '--state', $dir, '--access-key', 'TESTAKID',
                                 '--secret-key', 'test-s3-secret', '--region', 'ap-south-1', '--parent', $$);
    $s3 = "http://127.0.0.1:$own_fake->{port}";
    diag "FAKE_S3_URL does not answer: using a fake S3 of this test at $s3";
}
END { MiniHTTPD::stop($own_fake) if $own_fake }

my %s3env = (S3_ENDPOINT => $s3, S3_BUCKET => 'cakes', S3_REGION => 'ap-south-1', S3_ACCESS_KEY => 'TESTAKID',
             S3_SECRET_KEY => 'test-s3-secret');
my $sid = new_product('s3');
my $spng = png(20, 10);
fake_post($s3, '/_fake/reset');
my $inst = start_instance(NAME => 's3', %s3env);
my ($body, $ct) = multipart(['image', 'cake.png', 'image/png', $spng]);
$r = fcgi($inst, 'POST', "/api/admin/products/$sid/images", $admin, $ct, $body);
is($r->{status}, 201, 'S3 upload 201') or diag "$r->{head}\n$r->{body}";
my $surl = $r->{json}{images}[-1] // '';
like($surl, qr{^\Q$s3\E/cakes/products/[0-9a-f]{32}\.png$}, 'public URL is the object URL');
is_deeply(images_of($sid), [$surl], 'S3 URL recorded');
my $log = fake_get($s3, '/_fake/requests');
my @puts = grep { $_->{method} eq 'PUT' } @$log;
is(scalar @puts, 1, 'one PUT reached the fake');
my $put = $puts[0];
my ($key) = $surl =~ m{(/cakes/products/.*)$};
is($put->{path}, $key, 'PUT to bucket/products/<file>');
like($put->{headers}{authorization}, qr{^AWS4-HMAC-SHA256 Credential=TESTAKID/\d{8}/ap-south-1/s3/aws4_request, SignedHeaders=[^,]*x-amz-content-sha256},
     'SigV4 with TESTAKID, payload hash signed');
is($put->{headers}{'x-amz-content-sha256'}, sha256_hex($spng), 'x-amz-content-sha256 is the body hash');
is($put->{body_sha256}, sha256_hex($spng), 'the fake got the exact bytes');
is($put->{headers}{'content-type'}, 'image/png', 'Content-Type set');
my $obj = HTTP::Tiny->new->get($surl);
is($obj->{status}, 200, 'the fake accepted and stored the object');
ok($obj->{content} eq $spng, 'object bytes match');
is($r->{json}{images}[-1], $surl, 'answer carries the S3 URL');
# refusals do not reach S3
$r = fcgi($inst, 'POST', "/api/admin/products/$sid/images", $admin, multipart_ct(['image', 'x.png', 'image/png', 'text']));
is($r->{status}, 415, 'S3 instance also sniffs');
is(scalar(grep { $_->{method} eq 'PUT' } @{ fake_get($s3, '/_fake/requests') }), 1, 'no PUT for a refused file');
my $bigpng = substr($spng, 0, 33) . ("\0" x (1536 * 1024));
$r = fcgi($inst, 'POST', "/api/admin/products/$sid/images", $admin, multipart_ct(['image', 'big.png', 'image/png', $bigpng]));
is($r->{status}, 201, 'a 1.5 MiB image goes to S3 too (Expect: 100-continue)') or diag $r->{body};
is(length(HTTP::Tiny->new->get($r->{json}{images}[-1] // "$s3/none")->{content}), length $bigpng, 'all of it');
req(DELETE => "/api/admin/products/$sid/images?url=" . ($r->{json}{images}[-1] // ''), token => $admin);
ok(stop_instance($inst), 'second instance stopped');

sub multipart_ct { my ($b, $c) = multipart(@_); return ($c, $b) }

# wrong secret: the fake refuses the signature: 502, nothing recorded
$inst = start_instance(NAME => 's3', %s3env, S3_SECRET_KEY => 'wrong-secret');
$r = fcgi($inst, 'POST', "/api/admin/products/$sid/images", $admin, multipart_ct(['image', 'cake.png', 'image/png', $spng]));
is($r->{status}, 502, 'wrong S3 secret 502');
is($r->{json}{error}{code}, 'STORAGE_UNAVAILABLE', 'STORAGE_UNAVAILABLE');
is_deeply(images_of($sid), [$surl], 'no image recorded');
ok(stop_instance($inst), 'second instance stopped');

# S3 unreachable: 502 as well
$inst = start_instance(NAME => 's3', %s3env, S3_ENDPOINT => 'http://127.0.0.1:1');
$r = fcgi($inst, 'POST', "/api/admin/products/$sid/images", $admin, multipart_ct(['image', 'cake.png', 'image/png', $spng]));
is($r->{status}, 502, 'unreachable S3 502');
is_deeply(images_of($sid), [$surl], 'still nothing recorded');
ok(stop_instance($inst), 'second instance stopped');

done_testing;
