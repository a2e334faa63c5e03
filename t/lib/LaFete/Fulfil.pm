package LaFete::Fulfil;
# LaFete::Fulfil: helpers for the fulfilment tests (t/50..54): paid orders made
# directly in the database, the fake Borzo's request log, signed callbacks.
use strict;
use warnings;
use Exporter 'import';
use HTTP::Tiny;
use JSON::PP;
use LaFete::Test;
use FakeBorzo qw(sign_callback);

our @EXPORT = qw(make_order fake_borzo borzo_requests creates_for fault borzo_callback db_one sql sql_row);

# sql(SQL, @params): LaFete::Test::psql, under the name these tests use.
sub sql { LaFete::Test::psql(@_) }
sub sql_row { my @r = sql(@_); return $r[0] ? @{ $r[0] } : () }

my $json = JSON::PP->new->utf8->canonical;
my $seq = 0;

sub fake_borzo { $ENV{FAKE_BORZO_URL} }
sub db_one { my @r = sql_row(@_); return $r[0] }

# make_order(status => 'CONFIRMED', slot_minutes => 60, message => ..., gift => 0|1, phone => ...)
# A customer, a product with two variants and an order with two lines
# (1 x 1000 g + 2 x 750 g = 2.5 kg), paid (payments CAPTURED) unless PENDING.
sub make_order {
    my (%o) = @_;
    my $u = $o{user} // register_user(name => 'Asha Rao');
    my $tag = "$$-" . ++$seq . '-' . int(rand 1e6);
    my ($pid) = sql_row("INSERT INTO products (slug, name, base_price) VALUES (:'p1', 'Chocolate Truffle', 900) RETURNING id", "cake-$tag");
    my ($v1) = sql_row("INSERT INTO variants (product_id, label, weight_grams, price) VALUES (:'p1', '1 kg', 1000, 900) RETURNING id", $pid);
    my ($v2) = sql_row("INSERT INTO variants (product_id, label, weight_grams, price) VALUES (:'p1', '750 g', 750, 450) RETURNING id", $pid);
    my $status = $o{status} // 'CONFIRMED';
    my $addr = $json->encode({ street => $o{street} // '14 MG Road', city => 'Bengaluru', pincode => '560001',
                               latitude => 12.975, longitude => 77.605, name => $o{name} // 'Asha Rao',
                               phone => $o{phone} // '+919876543210' });
    my ($id, $number, $token) = sql_row(
        "INSERT INTO orders (user_id, address, status, subtotal, delivery_fee, total_amount, delivery_slot, slot_units, "
      . "tracking_token, custom_message, is_gift, gift_message, confirmed_at) "
      . "VALUES (:'p1', :'p2'::jsonb, :'p3', 1800.00, 99.50, 1899.50, date_trunc('minute', now()) + make_interval(mins => :'p4'::int), 2, "
      . ":'p5', nullif(:'p6', ''), :'p7'::boolean, nullif(:'p8', ''), CASE WHEN :'p3' <> 'PENDING' THEN now() END) "
      . "RETURNING id, order_number, tracking_token",
        $u->{user}{id}, $addr, $status, $o{slot_minutes} // 3 * 24 * 60, "tok-$tag-" . int(rand 1e9),
        $o{message} // '', $o{gift} ? 'true' : 'false', $o{gift_message} // '');
    sql("INSERT INTO order_items (order_id, product_id, variant_id, product_name, variant_label, weight_grams, "
       . "kitchen_units, unit_price, quantity, line_total) VALUES "
       . "(:'p1', :'p2', :'p3', 'Chocolate Truffle', '1 kg', 1000, 1, 900.00, 1, 900.00), "
       . "(:'p1', :'p2', :'p4', 'Chocolate Truffle', '750 g', 750, 1, 450.00, 2, 900.00)", $id, $pid, $v1, $v2);
    sql("INSERT INTO payments (order_id, amount, status, captured_at) VALUES (:'p1', 1899.50, 'CAPTURED', now())", $id)
        unless $status eq 'PENDING';
    return { id => $id, number => $number, token => $token, user => $u };
}

# Every partner request the fake Borzo logged, bodies decoded.
sub borzo_requests {
    my $all = fake_get(fake_borzo(), '/_fake/requests') // [];
    for (@$all) { $_->{json} = eval { JSON::PP->new->decode($_->{body}) } if defined $_->{body} && length $_->{body} }
    return @$all;
}

# The create-order requests whose drop point carries this order number.
sub creates_for {
    my ($number) = @_;
    return grep {
        $_->{method} eq 'POST' && $_->{path} =~ m{/create-order$} && ref $_->{json} eq 'HASH'
            && grep { ($_->{client_order_id} // '') eq "$number" } @{ $_->{json}{points} || [] }
    } borzo_requests();
}

sub fault { fake_post(fake_borzo(), '/_fake/fault', { match => '^POST .*/create-order$', @_ }) }

# Advances the fake's order and POSTs the signed callback; returns [status, body].
sub borzo_callback {
    my (%adv) = @_;
    my $body = HTTP::Tiny->new->post(fake_borzo() . '/_fake/advance',
        { headers => { 'Content-Type' => 'application/json' }, content => $json->encode(\%adv) })->{content};
    my $r = req(POST => '/api/delivery/webhook', raw => $body, type => 'application/json',
                headers => { 'X-DV-Signature' => sign_callback($body, $ENV{BORZO_CALLBACK_SECRET}) });
    return ($r, $body);
}

1;
