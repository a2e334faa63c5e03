#!/usr/bin/perl
# 83-faults-disk.t: the fault matrix, the disk's row. A second app instance
# keeps its images on a tiny tmpfs (STORAGE_DIR), which is full when an image
# is uploaded: the upload is refused with a clear error, no file or partial
# file is left, the product does not name an image that does not exist, and
# the same upload succeeds once there is room.
use strict;
use warnings;
use Test::More;
use LaFete::Test;
use LaFete::Faults;

my $dir = "$ENV{STACK_DIR}/tiny-storage-$$";
mkdir $dir or die "mkdir $dir: $!";
my $mounted = $> == 0 && system('mount', '-t', 'tmpfs', '-o', 'size=256k,mode=0755', "lafete-test-$$", $dir) == 0;
plan skip_all => 'mounting a 256 KiB tmpfs is not permitted here (it needs root, or CAP_SYS_ADMIN in a container): '
    . 'the disk-full case cannot be made without filling a real disk' unless $mounted;
my $inst;
END {
    stop_instance($inst) if $inst;
    if ($mounted) {    # the instance's last process may take a moment to let go
        wait_for(sub { system('umount', $dir) == 0 }, 10) or system('umount', '-l', $dir);
    }
    rmdir $dir;
}

my $admin = admin_token();
my $p = req(POST => '/api/admin/products', token => $admin, json => { name => "Disk full $$", basePrice => 100 });
is($p->{status}, 201, 'a product');
my $id = $p->{json}{id};
sub images { [ map { $_->[0] } psql("SELECT unnest(images) FROM products WHERE id = :'p1'", $id) ] }
sub files { my @f = map { s{.*/}{}r } glob("$dir/products/* $dir/products/.[!.]*"); \@f }
sub avail { my $o = `df -B1 --output=avail '$dir'`; my ($n) = $o =~ /(\d+)\s*$/; $n }
sub multipart {
    my ($bytes) = @_;
    my $b = 'LaFeteDisk' . int(rand 1e9);
    return ("--$b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"cake.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
            . "$bytes\r\n--$b--\r\n", "multipart/form-data; boundary=$b");
}

$inst = start_instance(NAME => 'disk', STORAGE_DIR => $dir);
my $jpeg = "\xFF\xD8\xFF\xE0\0\x10JFIF\0" . join('', map { chr(($_ * 7) % 256) } 1 .. 100 * 1024);

# fill the file system but for 16 KiB
open my $fill, '>:raw', "$dir/filler" or die;
print $fill "\0" x (avail() - 16 * 1024);
close $fill;
ok(avail() < 100 * 1024, sprintf('the storage has %d bytes left, less than the image', avail()));

my $r = fcgi($inst, 'POST', "/api/admin/products/$id/images", $admin, reverse multipart($jpeg));
is($r->{status}, 502, 'the upload is refused') or diag("$r->{head}\n$r->{body}");
is($r->{json}{error}{code}, 'STORAGE_UNAVAILABLE', 'STORAGE_UNAVAILABLE, try again');
is_deeply(images(), [], 'the product names no image');
is_deeply(files(), [], 'no file and no partial file is left behind');
open my $lf, '<', $inst->{log} or die "open: $!";
my $log = do { local $/; <$lf> } // '';
close $lf;
like($log, qr/storage: cannot write .*No space left on device/, 'the log says why');

unlink "$dir/filler";
$r = fcgi($inst, 'POST', "/api/admin/products/$id/images", $admin, reverse multipart($jpeg));
is($r->{status}, 201, 'with room again, the same upload succeeds') or diag("$r->{head}\n$r->{body}");
my $url = $r->{json}{images}[-1] // '';
is_deeply(images(), [$url], 'the product names it');
my ($name) = $url =~ m{/media/products/([0-9a-f]{32}\.jpg)$};
ok($name, "stored as $name");
is_deeply(files(), [$name], 'one file, no leftovers');
open my $fh, '<:raw', "$dir/products/$name" or die "open: $!";
my $stored = do { local $/; <$fh> } // '';
close $fh;
ok($stored eq $jpeg, 'holding every byte');

$r = fcgi($inst, 'DELETE', "/api/admin/products/$id/images?url=$url", $admin);
is($r->{status}, 200, 'removed');
is_deeply(files(), [], 'and its file with it');

ok(stop_instance($inst), 'the second instance stopped'), undef $inst;
done_testing;
