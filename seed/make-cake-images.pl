#!/usr/bin/perl
# make-cake-images.pl: draws the small demo PNGs in static/cakes/ (run by hand; the images are committed).
# Each cake: a soft background gradient, a plate, a two-tier cake in its colours, a cherry on top.
use strict;
use warnings;
use Compress::Zlib qw(compress crc32);

my ($W, $H) = (320, 240);
my %cakes = (
    'rose-pistachio-entremet'        => [[236, 164, 186], [142, 186, 104]],
    'belgian-dark-chocolate-truffle' => [[74, 42, 30], [120, 72, 48]],
    'alphonso-mango-cheesecake'      => [[252, 184, 58], [246, 226, 170]],
    'saffron-rasmalai-cake'          => [[246, 216, 150], [226, 150, 40]],
    'red-velvet-cream-cheese'        => [[168, 28, 48], [250, 244, 236]],
    'classic-black-forest'           => [[62, 32, 28], [244, 240, 236]],
    'salted-caramel-hazelnut'        => [[196, 128, 60], [120, 78, 40]],
    'blueberry-lemon-chiffon'        => [[250, 236, 140], [92, 96, 176]],
    'tender-coconut-malai'           => [[250, 248, 240], [200, 220, 170]],
    'biscoff-crunch-cheesecake'      => [[214, 150, 92], [248, 232, 206]],
    'kesar-pista-tres-leches'        => [[250, 230, 190], [150, 180, 90]],
    'fresh-fruit-vanilla-gateau'     => [[252, 246, 222], [230, 60, 70]],
    'hazelnut-praline-opera'         => [[98, 62, 40], [212, 170, 100]],
    'gulab-jamun-celebration-cake'   => [[232, 190, 140], [150, 60, 30]],
);

sub mix { my ($a, $b, $t) = @_; [map { int($a->[$_] + ($b->[$_] - $a->[$_]) * $t) } 0 .. 2] }

sub pixel {
    my ($x, $y, $body, $top) = @_;
    my $bg = mix([255, 250, 245], mix($body, [255, 255, 255], 0.75), $y / $H);
    my ($cx) = $W / 2;
    # cherry
    return [200, 20, 40] if ($x - $cx) ** 2 + ($y - 52) ** 2 < 100;
    # upper tier: ellipse top, body
    return $top if (($x - $cx) / 70) ** 2 + (($y - 80) / 16) ** 2 < 1;
    return mix($body, [0, 0, 0], 0.08 + 0.1 * abs($x - $cx) / 70) if abs($x - $cx) < 70 && $y >= 80 && $y < 130;
    # lower tier
    return $top if (($x - $cx) / 110) ** 2 + (($y - 130) / 20) ** 2 < 1;
    return mix($body, [0, 0, 0], 0.05 + 0.12 * abs($x - $cx) / 110) if abs($x - $cx) < 110 && $y >= 130 && $y < 195;
    # plate
    return [236, 236, 240] if (($x - $cx) / 135) ** 2 + (($y - 198) / 14) ** 2 < 1;
    return $bg;
}

sub chunk { my ($type, $data) = @_; pack('N', length $data) . $type . $data . pack('N', crc32($type . $data)) }

for my $slug (sort keys %cakes) {
    my ($body, $top) = @{ $cakes{$slug} };
    my $raw = '';
    for my $y (0 .. $H - 1) {
        $raw .= "\0" . join '', map { pack 'C3', @{ pixel($_, $y, $body, $top) } } 0 .. $W - 1;
    }
    my $png = "\x89PNG\r\n\x1a\n" . chunk('IHDR', pack('NNCCCCC', $W, $H, 8, 2, 0, 0, 0))
        . chunk('IDAT', compress($raw, 9)) . chunk('IEND', '');
    open my $fh, '>:raw', "static/cakes/$slug.png" or die "$slug: $!";
    print $fh $png;
    close $fh;
    printf "%-34s %6d bytes\n", $slug, length $png;
}
