#!/usr/bin/perl
# Fake Borzo Business API 1.6 for tests (see t/fakes/README.md and doc/partners.md §8-14).
#
#   perl t/fakes/borzo.pl --port 0 --state DIR --token T [--parent PID] [--api-version 1.6]
#
# Prints "PORT <n>" on stdout and writes DIR/port.  State lives in DIR.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Getopt::Long;
use File::Path qw(make_path);
use JSON::PP ();
use Time::Local qw(timegm);
use MiniHTTPD;

my %opt = (port => 0, token => 'fake-borzo-token', 'api-version' => '1.6');
GetOptions(\%opt, 'port=i', 'state=s', 'token=s', 'parent=i', 'api-version=s')
    or die "usage: $0 --port P --state DIR --token T [--parent PID] [--api-version 1.6]\n";
die "--state DIR is required\n" unless $opt{state};
make_path($opt{state});
my $DIR = $opt{state};
my $BASE = "/api/business/$opt{'api-version'}";

my $T = JSON::PP::true;
my $F = JSON::PP::false;
my $IST = 330;    # India: +05:30
my %EMPTY_STATE = (orders => {}, next_order_id => 100001, next_point_id => 200001, next_delivery_id => 300001);

my %ORDER_STATUS = (
    new => 'Created', available => 'Available', active => 'Active', completed => 'Completed',
    reactivated => 'Reactivated', draft => 'Draft', canceled => 'Canceled', delayed => 'Delayed',
);
my %DELIVERY_STATUS = map { $_ => 1 } qw(invalid draft planned courier_assigned courier_departed
    courier_at_pickup parcel_picked_up active courier_arrived finished failed canceled delayed deleted
    return_planned return_courier_assigned return_courier_departed return_courier_picked_up return_finished);
my %DEFAULT_COURIER = (
    courier_id => 4001, surname => 'Sharma', name => 'Ravi', middlename => undef,
    phone => '919800000001', photo_url => undef, latitude => '12.9716000', longitude => '77.5946000',
);


# ------------------------------------------------------------------ helpers

# the partners' JSON types, shared by the fakes
*jtype = \&MiniHTTPD::jtype;
*is_int = \&MiniHTTPD::is_int;

sub ok_res { MiniHTTPD::json_response(200, { is_successful => $T, %{ $_[0] } }) }

sub fail_res {
    my ($errors, $param_errors) = @_;
    return MiniHTTPD::json_response(400, { is_successful => $F, errors => $errors,
                                           parameter_errors => $param_errors });
}

sub invalid_params { fail_res(['invalid_parameters'], $_[0]) }

sub money { sprintf '%.2f', $_[0] }

sub now_iso { MiniHTTPD::iso_time($_[0] // time, $IST) }

sub txn { MiniHTTPD::state_txn($DIR, 'state.json', \%EMPTY_STATE, $_[0]) }

sub read_state { MiniHTTPD::state_read($DIR, 'state.json', \%EMPTY_STATE) }

# ISO-8601 with seconds and a numeric offset (or Z) -> epoch, else undef.
sub parse_iso {
    my ($s) = @_;
    return undef unless defined $s && !ref $s;
    my ($Y, $M, $D, $h, $m, $sec, $tz) =
        $s =~ /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.\d+)?(Z|[+-]\d\d:?\d\d)$/ or return undef;
    my $t = eval { timegm($sec, $m, $h, $D, $M - 1, $Y) } // return undef;
    if ($tz ne 'Z') {
        my ($sign, $oh, $om) = $tz =~ /^([+-])(\d\d):?(\d\d)$/;
        $t -= ($sign eq '-' ? -1 : 1) * ($oh * 3600 + $om * 60);
    }
    return $t;
}

sub haversine_km {
    my ($lat1, $lon1, $lat2, $lon2) = @_;
    my $rad = 3.14159265358979 / 180;
    my $dlat = ($lat2 - $lat1) * $rad;
    my $dlon = ($lon2 - $lon1) * $rad;
    my $a = sin($dlat / 2)**2 + cos($lat1 * $rad) * cos($lat2 * $rad) * sin($dlon / 2)**2;
    return 6371.0088 * 2 * atan2(sqrt($a), sqrt(1 - $a));
}

# ------------------------------------------------------------------ validation
#
# Returns (errors, warnings): hashes mirroring the request shape, leaves are
# arrays of parameter error codes; undef when there is nothing to report.

my @ORDER_FIELDS = qw(type matter vehicle_type_id total_weight_kg insurance_amount
    is_client_notification_enabled is_contact_person_notification_enabled is_route_optimizer_enabled
    is_motobox_required is_thermobox_required is_return_required loaders_count backpayment_details
    payment_method bank_card_id promo_code points);
my @POINT_FIELDS = qw(address latitude longitude contact_person required_start_datetime
    required_finish_datetime note client_order_id taking_amount buyout_amount is_order_payment_here
    is_cod_cash_voucher_required building_number apartment_number entrance_number intercom_code
    floor_number invisible_mile_navigation_instructions checkin_code packages);
my @BOOL_ORDER = grep { /^is_/ } @ORDER_FIELDS;
my @STR_POINT = qw(note building_number apartment_number entrance_number intercom_code floor_number
    invisible_mile_navigation_instructions checkin_code);

sub check_string {
    my ($v, $max) = @_;
    return ['invalid_string'] unless jtype($v) eq 'string';
    return ['max_length'] if defined $max && length $v > $max;
    return undef;
}

sub check_money {
    my ($v) = @_;
    return ['invalid_string'] unless jtype($v) eq 'string';
    return ['invalid_float'] unless $v =~ /^\d+(?:\.\d{1,2})?$/;
    return undef;
}

sub check_coord {
    my ($v, $limit) = @_;
    my $t = jtype($v);
    return ['invalid_float'] unless ($t eq 'number' || ($t eq 'string' && $v =~ /^-?\d+(?:\.\d+)?$/));
    return ['coordinates_out_of_bounds'] if abs($v) > $limit;
    return undef;
}

sub validate_order {
    my ($b, $for_create) = @_;
    my (%e, %w);
    for my $k (sort keys %$b) {
        $e{$k} = ['unknown'] unless grep { $_ eq $k } @ORDER_FIELDS;
    }
    my $type = $b->{type} // 'standard';
    $e{type} = ['invalid_enum_value'] unless jtype($type) eq 'string' && $type =~ /^(standard|same_day)$/;
    if (defined $b->{matter}) { my $x = check_string($b->{matter}, 5000); $e{matter} = $x if $x }
    elsif ($for_create)        { $e{matter} = ['required'] }
    if (defined $b->{vehicle_type_id}) {
        if (!is_int($b->{vehicle_type_id}))                         { $e{vehicle_type_id} = ['invalid_integer'] }
        elsif ($type eq 'same_day')                                 { $e{vehicle_type_id} = ['not_allowed'] }
        elsif ($b->{vehicle_type_id} < 1 || $b->{vehicle_type_id} > 8) { $e{vehicle_type_id} = ['invalid_vehicle_type'] }
    }
    if (defined $b->{total_weight_kg}) {
        if (!is_int($b->{total_weight_kg}))  { $e{total_weight_kg} = ['invalid_integer'] }
        elsif ($b->{total_weight_kg} < 0)    { $e{total_weight_kg} = ['min_value'] }
    }
    elsif ($type eq 'same_day') { $e{total_weight_kg} = ['required'] }
    if (defined $b->{insurance_amount}) { my $x = check_money($b->{insurance_amount}); $e{insurance_amount} = $x if $x }
    for my $k (@BOOL_ORDER) {
        $e{$k} = ['invalid_boolean'] if defined $b->{$k} && jtype($b->{$k}) ne 'boolean';
    }
    if (defined $b->{loaders_count}) {
        if (!is_int($b->{loaders_count}))                              { $e{loaders_count} = ['invalid_integer'] }
        elsif ($b->{loaders_count} < 0 || $b->{loaders_count} > 11)    { $e{loaders_count} = ['max_value'] }
    }
    if (defined $b->{backpayment_details}) { my $x = check_string($b->{backpayment_details}, 300); $e{backpayment_details} = $x if $x }
    if (defined $b->{payment_method}) {
        $e{payment_method} = ['invalid_enum_value']
            unless jtype($b->{payment_method}) eq 'string' && $b->{payment_method} =~ /^(cash|non_cash|bank_card|balance)$/;
    }
    $e{bank_card_id} = ['invalid_integer'] if defined $b->{bank_card_id} && !is_int($b->{bank_card_id});
    if (defined $b->{promo_code}) { my $x = check_string($b->{promo_code}); $e{promo_code} = $x if $x }

    my $points = $b->{points};
    if (!defined $points)                 { $e{points} = ['required'] }
    elsif (jtype($points) ne 'array')     { $e{points} = ['invalid_list'] }
    elsif (@$points < 2)                  { $e{points} = ['min_size'] }
    elsif ($type eq 'same_day' && @$points != 2) { $e{points} = ['max_size'] }
    else {
        my (@pe, @pw);
        my ($any_e, $any_w);
        for my $p (@$points) {
            my ($pe, $pw) = validate_point($p, $for_create);
            push @pe, $pe;
            push @pw, $pw;
            $any_e ||= $pe;
            $any_w ||= $pw;
        }
        $e{points} = \@pe if $any_e;
        $w{points} = \@pw if $any_w;
    }
    return (%e ? \%e : undef, %w ? \%w : undef);
}

sub validate_point {
    my ($p, $for_create) = @_;
    return (['invalid_object'], undef) unless jtype($p) eq 'object';
    my (%e, %w);
    for my $k (sort keys %$p) {
        $e{$k} = ['unknown'] unless grep { $_ eq $k } @POINT_FIELDS;
    }
    if (defined $p->{address}) { my $x = check_string($p->{address}, 350); $e{address} = $x if $x }
    else                       { $e{address} = ['required'] }
    if (defined $p->{latitude})  { my $x = check_coord($p->{latitude}, 90);   $e{latitude} = $x if $x }
    if (defined $p->{longitude}) { my $x = check_coord($p->{longitude}, 180); $e{longitude} = $x if $x }

    my $cp = $p->{contact_person};
    my %cpe;
    if (defined $cp && jtype($cp) ne 'object') { $e{contact_person} = ['invalid_object'] }
    else {
        $cp //= {};
        for my $k (sort keys %$cp) { $cpe{$k} = ['unknown'] unless $k =~ /^(phone|name|phone_extension)$/ }
        if (!defined $cp->{phone}) {
            if ($for_create) { $cpe{phone} = ['required'] }
            else             { $w{contact_person} = { phone => ['required'] } }
        }
        elsif (jtype($cp->{phone}) ne 'string' || $cp->{phone} !~ /^\d{10,15}$/) { $cpe{phone} = ['invalid_phone'] }
        if (defined $cp->{name}) { my $x = check_string($cp->{name}, 350); $cpe{name} = $x if $x }
        if (defined $cp->{phone_extension}) { my $x = check_string($cp->{phone_extension}); $cpe{phone_extension} = $x if $x }
        $e{contact_person} = \%cpe if %cpe;
    }

    for my $k (qw(required_start_datetime required_finish_datetime)) {
        $e{$k} = ['invalid_date_format'] if defined $p->{$k} && !defined parse_iso($p->{$k});
    }
    if (!$e{required_start_datetime} && !$e{required_finish_datetime}
        && defined $p->{required_start_datetime} && defined $p->{required_finish_datetime}
        && parse_iso($p->{required_start_datetime}) > parse_iso($p->{required_finish_datetime})) {
        $e{required_start_datetime} = ['start_after_end'];
    }
    if (defined $p->{client_order_id}) { my $x = check_string($p->{client_order_id}, 32); $e{client_order_id} = $x if $x }
    for my $k (qw(taking_amount buyout_amount)) {
        if (defined $p->{$k}) { my $x = check_money($p->{$k}); $e{$k} = $x if $x }
    }
    for my $k (qw(is_order_payment_here is_cod_cash_voucher_required)) {
        $e{$k} = ['invalid_boolean'] if defined $p->{$k} && jtype($p->{$k}) ne 'boolean';
    }
    for my $k (@STR_POINT) {
        if (defined $p->{$k}) { my $x = check_string($p->{$k}); $e{$k} = $x if $x }
    }
    $e{packages} = ['invalid_list'] if defined $p->{packages} && jtype($p->{packages}) ne 'array';
    return (%e ? \%e : undef, %w ? \%w : undef);
}

# ------------------------------------------------------------------ order building

# Builds the response order object.  $ids = undef for a quote, or a code ref
# handing out fresh ids for a real order.
sub build_order {
    my ($b, $ids) = @_;
    my $now = time;
    my @in = @{ $b->{points} };
    my $has_coords = sub { defined $_[0]{latitude} && defined $_[0]{longitude} };
    my $km = 0;
    $km = haversine_km($in[0]{latitude}, $in[0]{longitude}, $in[-1]{latitude}, $in[-1]{longitude})
        if $has_coords->($in[0]) && $has_coords->($in[-1]);
    my $fee = 40 + 12 * $km;

    my $order_id = $ids ? $ids->('order') : undef;
    my (@points, $prev);
    my $eta = $now + 30 * 60;
    for my $i (0 .. $#in) {
        my $p = $in[$i];
        my $leg = ($prev && $has_coords->($prev) && $has_coords->($p))
            ? haversine_km($prev->{latitude}, $prev->{longitude}, $p->{latitude}, $p->{longitude}) : 0;
        $eta += int($leg * 180);     # 3 minutes per km
        my $point_id = $ids ? $ids->('point') : undef;
        my $cp = $p->{contact_person} // {};
        push @points, {
            point_id => $point_id,
            delivery_id => ($ids && $i > 0) ? $ids->('delivery') : undef,
            client_order_id => $p->{client_order_id},
            address => $p->{address},
            latitude => defined $p->{latitude} ? "$p->{latitude}" : undef,
            longitude => defined $p->{longitude} ? "$p->{longitude}" : undef,
            contact_person => { phone => $cp->{phone}, name => $cp->{name},
                                phone_extension => $cp->{phone_extension} },
            required_start_datetime => $p->{required_start_datetime},
            required_finish_datetime => $p->{required_finish_datetime},
            arrival_start_datetime => undef,
            arrival_finish_datetime => undef,
            estimated_arrival_datetime => now_iso($eta),
            courier_visit_datetime => undef,
            note => $p->{note},
            taking_amount => money($p->{taking_amount} // 0),
            buyout_amount => money($p->{buyout_amount} // 0),
            is_order_payment_here => $p->{is_order_payment_here} // $F,
            is_cod_cash_voucher_required => $p->{is_cod_cash_voucher_required} // $F,
            (map { $_ => $p->{$_} } qw(building_number apartment_number entrance_number
                                      intercom_code floor_number invisible_mile_navigation_instructions)),
            is_return_point => $F,
            place_photo_url => undef,
            sign_photo_url => undef,
            checkin => undef,
            packages => $p->{packages} // [],
            previous_point_driving_distance_meters => int($leg * 1000),
            tracking_url => $ids ? sprintf('https://track.borzo.test/%d/%d', $order_id, $point_id) : undef,
            ($ids ? (_delivery_status => $i > 0 ? 'planned' : undef) : ()),
        };
        $prev = $p;
    }
    my $order = {
        order_id => $order_id,
        order_name => defined $order_id ? sprintf('%d', $order_id) : undef,
        type => $b->{type} // 'standard',
        vehicle_type_id => defined $b->{vehicle_type_id} ? 0 + $b->{vehicle_type_id} : 8,
        created_datetime => now_iso($now),
        finish_datetime => undef,
        status => $ids ? 'new' : undef,
        status_description => $ids ? $ORDER_STATUS{new} : undef,
        matter => $b->{matter},
        total_weight_kg => 0 + ($b->{total_weight_kg} // 0),
        is_client_notification_enabled => $b->{is_client_notification_enabled} // $F,
        is_contact_person_notification_enabled => $b->{is_contact_person_notification_enabled} // $F,
        loaders_count => 0 + ($b->{loaders_count} // 0),
        backpayment_details => $b->{backpayment_details},
        points => \@points,
        payment_amount => money($fee),
        delivery_fee_amount => money($fee),
        weight_fee_amount => money(0),
        insurance_amount => money($b->{insurance_amount} // 0),
        insurance_fee_amount => money(0),
        loading_fee_amount => money(0),
        money_transfer_fee_amount => money(0),
        overnight_fee_amount => money(0),
        promo_code_discount_amount => money(0),
        backpayment_amount => money(0),
        cod_fee_amount => money(0),
        return_fee_amount => money(0),
        waiting_fee_amount => money(0),
        late_cancellation_fee_amount => money(0),
        late_cancellation_penalty_amount => money(0),
        vat_fee_amount => money(0),
        payment_method => $b->{payment_method} // 'non_cash',
        bank_card_id => $b->{bank_card_id},
        applied_promo_code => undef,
        is_motobox_required => $b->{is_motobox_required} // $F,
        is_return_required => $b->{is_return_required} // $F,
        backpayment_photo_url => undef,
        itinerary_document_url => undef,
        waybill_document_url => undef,
        courier => undef,
        courier_vehicle => undef,
        ($ids ? (_created => $now) : ()),
    };
    return $order;
}

# Public view: drops bookkeeping keys (leading underscore), also inside points.
# Integer fields are numified, because Perl may have cached a string form of
# them (a number used as a hash key or in a string is then encoded as "1").
sub public {
    my ($o) = @_;
    my %out = map { $_ => $o->{$_} } grep { !/^_/ } keys %$o;
    $out{points} = [ map { my $p = $_; +{ map { $_ => $p->{$_} } grep { !/^_/ } keys %$p } } @{ $o->{points} } ];
    numify(\%out, qw(order_id vehicle_type_id total_weight_kg loaders_count bank_card_id));
    numify($_, qw(point_id delivery_id previous_point_driving_distance_meters)) for @{ $out{points} };
    if ($out{courier}) { $out{courier} = { %{ $out{courier} } }; numify($out{courier}, 'courier_id') }
    return \%out;
}

sub numify {
    my ($h, @keys) = @_;
    for my $k (@keys) { $h->{$k} = 0 + $h->{$k} if defined $h->{$k} && $h->{$k} =~ /^-?\d+$/ }
}

# ------------------------------------------------------------------ dispatch

sub handle {
    my ($req) = @_;
    my ($m, $p) = ($req->{method}, $req->{path});
    return control($req) if $p =~ m{^/_fake/};

    MiniHTTPD::log_append($DIR, 'requests.jsonl', MiniHTTPD::request_record($req));

    if (my $fault = MiniHTTPD::fault_take($DIR, $req)) {
        return MiniHTTPD::fault_late($fault, route($req)) if $fault->{mode} eq 'late';
        return MiniHTTPD::fault_apply($fault, sub {
            my ($f) = @_;
            return fail_res($f->{errors} // ['service_unavailable'], $f->{parameter_errors})
                if $f->{mode} eq 'unsuccessful';
            return MiniHTTPD::json_response($f->{status} // 503,
                { is_successful => $F, errors => [ ($f->{status} // 503) == 503 ? 'service_unavailable' : 'unexpected_error' ],
                  parameter_errors => undef });
        });
    }
    return route($req);
}

# The partner API itself (faults aside).
sub route {
    my ($req) = @_;
    my ($m, $p) = ($req->{method}, $req->{path});
    my $token = $req->{headers}{'x-dv-auth-token'};
    return fail_res(['required_auth_token'], undef) unless defined $token && length $token;
    return fail_res(['invalid_auth_token'], undef) unless $token eq $opt{token};

    my ($ver, $method) = $p =~ m{^/api/business/([^/]+)(?:/([^/]*))?$}
        or return fail_res(['invalid_api_method'], undef);
    return fail_res(['invalid_api_version'], undef) unless $ver eq $opt{'api-version'};
    $method //= '';
    return ok_res({}) if $method eq '' && $m eq 'GET';

    my %post = ('calculate-order' => \&calculate_order, 'create-order' => \&create_order,
                'cancel-order' => \&cancel_order);
    my %get = (orders => \&list_orders, courier => \&get_courier);
    if (my $h = $post{$method}) {
        return fail_res(['required_method_post'], undef) unless $m eq 'POST';
        my ($b, $err) = MiniHTTPD::decode_json_body($req->{body});
        return fail_res(['invalid_post_json'], undef) if $err || jtype($b) ne 'object';
        return $h->($b);
    }
    if (my $h = $get{$method}) {
        return fail_res(['required_method_get'], undef) unless $m eq 'GET';
        return $h->($req);
    }
    return fail_res(['invalid_api_method'], undef);
}

sub calculate_order {
    my ($b) = @_;
    my ($e, $w) = validate_order($b, 0);
    return invalid_params($e) if $e;
    return ok_res({ order => public(build_order($b, undef)),
                    warnings => $w ? ['invalid_parameters'] : [], parameter_warnings => $w });
}

sub create_order {
    my ($b) = @_;
    my ($e) = validate_order($b, 1);
    return invalid_params($e) if $e;
    return txn(sub {
        my ($st) = @_;
        my $ids = sub { my $k = "next_$_[0]_id"; return $st->{$k}++ };
        my $order = build_order($b, $ids);
        $st->{orders}{ $order->{order_id} } = $order;
        return ok_res({ order => public($order), warnings => [], parameter_warnings => undef });
    });
}

sub cancel_order {
    my ($b) = @_;
    my $id = $b->{order_id};
    return invalid_params({ order_id => ['required'] }) unless defined $id;
    return invalid_params({ order_id => ['invalid_integer'] }) unless is_int($id);
    return txn(sub {
        my ($st) = @_;
        my $o = $st->{orders}{$id} or return invalid_params({ order_id => ['invalid_order'] });
        return fail_res(['order_cannot_be_canceled'], undef)
            if $o->{status} !~ /^(new|available|active|delayed)$/
            || grep { defined $_->{courier_visit_datetime} } @{ $o->{points} };
        set_status($o, 'canceled');
        return ok_res({ order => public($o) });
    });
}

sub list_orders {
    my ($req) = @_;
    my $qm = $req->{query_multi};
    my $q = $req->{query_params};
    my %pe;
    my @ids = map { split /,/ } @{ $qm->{order_id} // [] }, @{ $qm->{'order_id[]'} // [] };
    $pe{order_id} = ['invalid_integer'] if grep { !/^\d+$/ } @ids;
    my ($from, $to);
    if (defined $q->{created_datetime_from}) {
        $from = parse_iso($q->{created_datetime_from});
        $pe{created_datetime_from} = ['invalid_date_format'] unless defined $from;
    }
    if (defined $q->{created_datetime_to}) {
        $to = parse_iso($q->{created_datetime_to});
        $pe{created_datetime_to} = ['invalid_date_format'] unless defined $to;
    }
    my $count = $q->{count} // 10;
    my $offset = $q->{offset} // 0;
    if ($count !~ /^\d+$/) { $pe{count} = ['invalid_integer'] }
    elsif ($count > 50)    { $pe{count} = ['max_value'] }
    $pe{offset} = ['invalid_integer'] if $offset !~ /^\d+$/;
    $pe{status} = ['invalid_enum_value'] if defined $q->{status} && !$ORDER_STATUS{ $q->{status} };
    return invalid_params(\%pe) if %pe;

    my $st = read_state();
    my @orders = sort { $b->{order_id} <=> $a->{order_id} } values %{ $st->{orders} };
    if (@ids) { my %want = map { $_ => 1 } @ids; @orders = grep { $want{ $_->{order_id} } } @orders }
    @orders = grep { $_->{status} eq $q->{status} } @orders if defined $q->{status};
    @orders = grep { $_->{_created} >= $from } @orders if defined $from;
    @orders = grep { $_->{_created} <= $to } @orders if defined $to;
    my $total = @orders;
    @orders = $offset < @orders ? splice(@orders, $offset, $count) : ();
    return ok_res({ orders => [ map { public($_) } @orders ], orders_count => $total, next_page_id => undef });
}

sub get_courier {
    my ($req) = @_;
    my $id = $req->{query_params}{order_id};
    return invalid_params({ order_id => ['required'] }) unless defined $id && length $id;
    return invalid_params({ order_id => ['invalid_integer'] }) unless $id =~ /^\d+$/;
    my $o = read_state()->{orders}{$id} or return invalid_params({ order_id => ['invalid_order'] });
    return ok_res({ courier => $o->{courier} });
}

# ------------------------------------------------------------------ state changes

sub set_status {
    my ($o, $status) = @_;
    $o->{status} = $status;
    $o->{status_description} = $ORDER_STATUS{$status};
    if ($status eq 'canceled') {
        for my $p (@{ $o->{points} }) { $p->{_delivery_status} = 'canceled' if defined $p->{_delivery_status} }
    }
    if ($status eq 'completed') {
        $o->{finish_datetime} = now_iso();
        for my $p (@{ $o->{points} }) {
            $p->{courier_visit_datetime} //= now_iso();
            $p->{_delivery_status} = 'finished' if defined $p->{_delivery_status};
        }
    }
}

sub delivery_object {
    my ($o, $p) = @_;
    my %d = (
        delivery_id => $p->{delivery_id},
        delivery_type => 'plain',
        order_id => $o->{order_id},
        order_name => $o->{order_name},
        client_order_id => $p->{client_order_id},
        status => $p->{_delivery_status},
        status_datetime => $p->{_delivery_status_datetime} // now_iso(),
        created_datetime => $o->{created_datetime},
        courier => $o->{courier},
        delivery_price_amount => $o->{payment_amount},
        order_payment_amount => $p->{taking_amount},
        address => $p->{address},
        contact_person => $p->{contact_person},
        point_id => $p->{point_id},
        note => $p->{note},
        cancel_reason => undef,
    );
    numify(\%d, qw(delivery_id order_id point_id));
    if ($d{courier}) { $d{courier} = { %{ $d{courier} } }; numify($d{courier}, 'courier_id') }
    return \%d;
}

# ------------------------------------------------------------------ control endpoints

sub control {
    my ($req) = @_;
    my ($m, $p) = ($req->{method}, $req->{path});
    return MiniHTTPD::json_response(200, MiniHTTPD::log_read($DIR, 'requests.jsonl'))
        if $m eq 'GET' && $p eq '/_fake/requests';
    return MiniHTTPD::json_response(200, read_state()) if $m eq 'GET' && $p eq '/_fake/state';
    if ($m eq 'POST' && $p eq '/_fake/reset') {
        # ids keep counting: Borzo never hands out an order id twice, and the app's
        # database (which outlives a reset) holds the ones already given
        txn(sub {
            my %keep = map { $_ => $_[0]{$_} } grep { /^next_/ } keys %{ $_[0] };
            %{ $_[0] } = (%{ $MiniHTTPD::JSON->decode($MiniHTTPD::JSON->encode(\%EMPTY_STATE)) }, %keep);
        });
        MiniHTTPD::state_txn($DIR, 'faults.json', [], sub { @{ $_[0] } = () });
        MiniHTTPD::log_clear($DIR, 'requests.jsonl');
        return MiniHTTPD::json_response(200, { ok => $T });
    }
    my ($b, $err) = MiniHTTPD::decode_json_body($req->{body} eq '' ? '{}' : $req->{body});
    return MiniHTTPD::json_response(400, { error => "bad JSON: $err" }) if $err;
    if ($m eq 'POST' && $p eq '/_fake/fault') {
        my $why = MiniHTTPD::fault_validate($b);
        $why //= 'mode must be timeout, status, unsuccessful or late'
            unless ($b->{mode} // '') =~ /^(timeout|status|unsuccessful|late)$/;
        return MiniHTTPD::json_response(400, { error => $why }) if $why;
        return MiniHTTPD::json_response(200, MiniHTTPD::fault_add($DIR, $b));
    }
    return advance($b) if $m eq 'POST' && $p eq '/_fake/advance';
    return MiniHTTPD::json_response(404, { error => "no such control endpoint: $m $p" });
}

# POST /_fake/advance {order_id, status?, delivery_status?, point_index?, courier?}
# Returns the callback body Borzo would send (delivery_changed when
# delivery_status is given, else order_changed).
sub advance {
    my ($b) = @_;
    my $bad = sub { MiniHTTPD::json_response(400, { error => $_[0] }) };
    return $bad->('status must be one of: ' . join(',', sort keys %ORDER_STATUS))
        if defined $b->{status} && !$ORDER_STATUS{ $b->{status} };
    return $bad->('unknown delivery_status') if defined $b->{delivery_status} && !$DELIVERY_STATUS{ $b->{delivery_status} };
    return $bad->('courier must be an object') if defined $b->{courier} && ref $b->{courier} ne 'HASH';
    return $bad->('give status, delivery_status or courier')
        unless defined $b->{status} || defined $b->{delivery_status} || defined $b->{courier};
    return txn(sub {
        my ($st) = @_;
        my $o = $st->{orders}{ $b->{order_id} // '' } or return MiniHTTPD::json_response(404, { error => 'no such order' });
        my $pts = $o->{points};
        my $idx = $b->{point_index} // $#$pts;
        return $bad->('point_index must be 1..' . $#$pts) unless $idx =~ /^\d+$/ && $idx >= 1 && $idx <= $#$pts;
        my $assign = sub { $o->{courier} = { %{ $o->{courier} // \%DEFAULT_COURIER }, %{ $b->{courier} // {} } } };

        $assign->() if defined $b->{courier};
        if (defined $b->{status}) {
            $assign->() if $b->{status} eq 'active' && !$o->{courier};
            set_status($o, $b->{status});
        }
        if (my $ds = $b->{delivery_status}) {
            my $p = $pts->[$idx];
            $assign->() if !$o->{courier} && $ds =~ /^(courier_|parcel_picked_up|active|finished)/;
            $pts->[0]{courier_visit_datetime} //= now_iso() if $ds =~ /^(parcel_picked_up|active|courier_arrived|finished)$/;
            $p->{courier_visit_datetime} //= now_iso() if $ds eq 'finished';
            $p->{_delivery_status} = $ds;
            $p->{_delivery_status_datetime} = now_iso();
            return MiniHTTPD::json_response(200, { event_type => 'delivery_changed', event_datetime => now_iso(),
                                                   delivery => delivery_object($o, $p) });
        }
        return MiniHTTPD::json_response(200, { event_type => 'order_changed', event_datetime => now_iso(),
                                               order => public($o) });
    });
}

# ------------------------------------------------------------------ main

MiniHTTPD::serve_fake(dir => $DIR, port => $opt{port}, parent => $opt{parent}, handler => \&handle);
