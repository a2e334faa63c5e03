package LaFete::Admin;
# LaFete::Admin: helpers for the admin page tests: cookie sessions, CSRF forms, and rows made with psql.
use strict;
use warnings;
use Exporter 'import';
use LaFete::Test;

our @EXPORT = qw(set_cookies login_form admin_session customer_session page post_form
                 make_customer make_product make_order sql sql_row);

my $n = 0;

# sql(SQL, @params): LaFete::Test::psql, under the name these tests use.
sub sql { LaFete::Test::psql(@_) }
sub sql_row { my @r = sql(@_); return $r[0] ? @{ $r[0] } : () }

# The name=value pairs of every Set-Cookie of a response, and the raw headers.
sub set_cookies {
    my ($res) = @_;
    my $h = $res->{headers}{'set-cookie'} // [];
    my @raw = ref $h ? @$h : ($h);
    my %c = map { /^([^=]+)=([^;]*)/ ? ($1 => $2) : () } @raw;
    return (\%c, \@raw);
}

# GET /admin/login: the nonce cookie and the form's token.
sub login_form {
    my $r = req(GET => '/admin/login');
    my ($c) = set_cookies($r);
    my ($csrf) = $r->{content} =~ /name="csrf" value="([0-9a-f]+)"/;
    return { nonce => $c->{lafete_csrf}, csrf => $csrf, res => $r };
}

sub _form { my %f = @_; join '&', map { "$_=" . _enc($f{$_}) } sort keys %f }
sub _enc { my $s = shift // ''; utf8::encode($s) if utf8::is_utf8($s); $s =~ s/([^A-Za-z0-9_.~-])/sprintf '%%%02X', ord $1/ge; $s }

# Signs in through the form; returns {cookie, csrf, res} (csrf for the signed-in pages).
sub _session {
    my ($email, $pw) = @_;
    my $f = login_form();
    my $r = req(POST => '/admin/login', raw => _form(csrf => $f->{csrf}, email => $email, password => $pw),
                type => 'application/x-www-form-urlencoded', headers => { Cookie => "lafete_csrf=$f->{nonce}" });
    my ($c) = set_cookies($r);
    return { res => $r } unless $c->{lafete_admin};
    my $s = { cookie => "lafete_admin=$c->{lafete_admin}; lafete_csrf=$c->{lafete_csrf}", res => $r,
              admin => $c->{lafete_admin} };
    my $p = page('/admin/orders', $s);
    ($s->{csrf}) = $p->{content} =~ /name="csrf" value="([0-9a-f]+)"/;
    return $s;
}
sub admin_session { _session($ENV{ADMIN_EMAIL}, $ENV{ADMIN_PASSWORD}) }

# A customer's JWT in the admin cookie (as if stolen into the browser).
sub customer_session {
    my $u = register_user();
    return { cookie => "lafete_admin=$u->{token}; lafete_csrf=" . ('a' x 32), user => $u };
}

sub page { my ($path, $s) = @_; req(GET => $path, headers => { Cookie => $s->{cookie} // '' }) }

sub post_form {
    my ($path, $s, %f) = @_;
    $f{csrf} //= $s->{csrf};
    delete $f{csrf} if defined $f{csrf} && $f{csrf} eq '-';
    return req(POST => $path, raw => _form(%f), type => 'application/x-www-form-urlencoded',
               headers => { Cookie => $s->{cookie} // '' });
}

# A customer row; returns its id.
sub make_customer {
    my ($name) = @_;
    my ($id) = sql_row("INSERT INTO users (email, name, phone) VALUES (:'p1', :'p2', '+919812345678') RETURNING id",
                        uniq_email(), $name // 'Asha Rao');
    return $id;
}

# A product with one variant; returns (product id, variant id).
sub make_product {
    my (%o) = @_;
    my $slug = sprintf 'cake-%d-%d', $$, ++$n;
    my ($pid) = sql_row("INSERT INTO products (slug, name, base_price) VALUES (:'p1', :'p2', :'p3') RETURNING id",
                         $slug, $o{name} // "Cake $n", $o{price} // '1000.00');
    my ($vid) = sql_row("INSERT INTO variants (product_id, label, weight_grams, price, kitchen_units) "
                         . "VALUES (:'p1', :'p2', 1000, :'p3', 2) RETURNING id", $pid, $o{label} // '1 kg', $o{price} // '1000.00');
    return ($pid, $vid);
}

# An order with items [[pid, vid, qty, unit price, name, label]]; returns (id, number).
sub make_order {
    my (%o) = @_;
    my $user = $o{user} // make_customer();
    my ($sub, @items) = (0);
    for my $it (@{ $o{items} }) { $sub += $it->[2] * $it->[3] }
    my $fee = $o{fee} // 50;
    my ($id, $num) = sql_row(
        "INSERT INTO orders (user_id, address, status, subtotal, delivery_fee, total_amount, delivery_slot, slot_units, "
        . "custom_message, is_gift, gift_message, tracking_token, dispatched_at, delivered_at) VALUES "
        . "(:'p1', '{\"street\":\"12 MG Road\",\"city\":\"Bengaluru\",\"pincode\":\"560001\"}', :'p2', :'p3', :'p4', :'p5', "
        . ":'p6', 2, NULLIF(:'p7', ''), :'p8', NULLIF(:'p9', ''), md5(random()::text), NULLIF(:'p10', '')::timestamptz, "
        . "NULLIF(:'p11', '')::timestamptz) RETURNING id, order_number",
        $user, $o{status} // 'CONFIRMED', sprintf('%.2f', $sub), sprintf('%.2f', $fee), sprintf('%.2f', $sub + $fee),
        $o{slot}, $o{message} // '', $o{gift} ? 'true' : 'false', $o{gift_message} // '',
        $o{dispatched_at} // '', $o{delivered_at} // '');
    for my $it (@{ $o{items} }) {
        my ($pid, $vid, $q, $price, $name, $label) = @$it;
        sql("INSERT INTO order_items (order_id, product_id, variant_id, product_name, variant_label, weight_grams, "
             . "kitchen_units, unit_price, quantity, line_total) VALUES (:'p1', :'p2', :'p3', :'p4', :'p5', 1000, 2, "
             . ":'p6', :'p7', :'p6'::numeric * :'p7'::int)",
             $id, $pid, $vid, $name // 'Cake', $label // '1 kg', sprintf('%.2f', $price), $q);
    }
    return ($id, $num);
}

1;
