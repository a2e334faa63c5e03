package LaFete::Mail;
# LaFete::Mail: the emails the fake SMTP sink received (t/fakes/smtp.pl), the
# dispatch pass that sends them, password reset links, and a search of every
# text column of the database.
use strict;
use warnings;
use Encode ();
use Exporter 'import';
use JSON::PP;
use HTTP::Tiny;
use LaFete::Test;

our @EXPORT = qw(dispatch mails_to reset_mail_count wait_reset_token reset_token_of columns_holding client_at);

sub dispatch { req(POST => '/api/internal/dispatch', token => $ENV{DISPATCH_TOKEN}) }

# Every message the sink received for $to, oldest first: {headers, body, raw}.
sub mails_to {
    my ($to) = @_;
    my $dir = $ENV{FAKE_SMTP_DIR};
    my @out;
    for my $n (sort { $a <=> $b } map { /(\d+)\.json$/ ? $1 : () } glob "$dir/*.json") {
        my $env = decode_json(do { local (@ARGV, $/) = "$dir/$n.json"; <> });
        next unless grep { lc $_ eq lc $to } @{ $env->{rcpt_to} };
        my $raw = do { local (@ARGV, $/) = "$dir/$n.eml"; <> };
        my ($head, $body) = split /\r\n\r\n/, $raw, 2;
        (my $unfolded = $head) =~ s/\r\n[ \t]+/ /g;
        my %h = map { /^([^:]+):\s*(.*)$/ ? (lc $1 => $2) : () } split /\r\n/, $unfolded;
        $h{subject} = Encode::decode('MIME-Header', $h{subject} // '');
        push @out, { headers => \%h, body => Encode::decode('UTF-8', $body), raw => $raw };
    }
    return @out;
}

sub reset_mails { grep { $_->{headers}{subject} =~ /^Reset your password/ } mails_to($_[0]) }
sub reset_mail_count { scalar reset_mails($_[0]) }

# The token of a reset email's link (?token=...), or undef.
sub reset_token_of { my ($m) = @_; $m && $m->{body} =~ m{[?&]token=([A-Za-z0-9_-]+)} ? $1 : undef }

# Dispatches until $to has received more than $before reset emails; the newest one's token.
sub wait_reset_token {
    my ($to, $before) = @_;
    my $ok = wait_for(sub { dispatch(); reset_mail_count($to) > $before }, 30);
    return undef unless $ok;
    return reset_token_of((reset_mails($to))[-1]);
}

# "table.column" of every text, varchar, json or jsonb column (and text arrays) of
# every table whose value holds $needle (case-insensitive), in one statement.
sub columns_holding {
    my ($needle) = @_;
    my @rows = psql(<<'SQL', $needle);
SELECT c.table_name || '.' || c.column_name
FROM information_schema.columns c JOIN information_schema.tables t
  ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
WHERE c.table_schema = 'public'
  AND (c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')
       OR (c.data_type = 'ARRAY' AND c.udt_name IN ('_text', '_varchar')))
  AND (xpath('/row/n/text()', query_to_xml(format(
        'SELECT count(*) AS n FROM %I.%I WHERE strpos(lower(%I::text), lower(%L)) > 0',
        c.table_schema, c.table_name, c.column_name, :'p1'), false, true, '')))[1]::text::int > 0
ORDER BY 1
SQL
    return map { $_->[0] } @rows;
}

# An HTTP client whose requests come from another loopback address (nginx's
# limits and the sign-in back-off count per client address).
sub client_at {
    my ($addr) = @_;
    my $h = HTTP::Tiny->new(verify_SSL => 0, timeout => 30, local_address => $addr, max_redirect => 0);
    my $json = JSON::PP->new->utf8->canonical;
    return sub {
        my ($method, $path, %o) = @_;
        my %hd = %{ $o{headers} || {} };
        $hd{Authorization} = "Bearer $o{token}" if $o{token};
        my %req = (headers => \%hd);
        if (exists $o{json}) { $req{content} = $json->encode($o{json}); $hd{'Content-Type'} = 'application/json' }
        my $res = $h->request($method, "$ENV{BASE_URL}$path", \%req);
        $res->{json} = json_of($res->{content}) if ($res->{headers}{'content-type'} // '') =~ m{application/json};
        return $res;
    };
}

1;
