package FakeBorzo;

# Test helpers for the fake Borzo (t/fakes/borzo.pl): callback signatures
# (see doc/partners.md §13).
#
#   my $body = $http->post("$fake/_fake/advance", {content => $json})->{content};
#   my $sig  = FakeBorzo::sign_callback($body, $callback_secret);
#   # POST $body to the app with header X-DV-Signature: $sig

use strict;
use warnings;
use Exporter 'import';
use Digest::SHA qw(hmac_sha256_hex);

our @EXPORT_OK = qw(sign_callback);

# Lowercase hex HMAC-SHA256 of the raw body bytes, keyed with the callback secret.
sub sign_callback {
    my ($body, $secret) = @_;
    return lc hmac_sha256_hex($body, $secret);
}

1;
