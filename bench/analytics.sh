#!/bin/sh
# bench/analytics.sh: insert N orders (default 1 000 000) into the database given by
# DB_* and time GET /api/admin/analytics (bearer token) and GET /admin/analytics (the
# page, cookie session) several times each (median), for a 30-day and a 366-day range.
# A benchmark, not a test; see bench/README.md for the numbers.
# The orders go in with generate_series, in one transaction, through the analytics
# triggers (schema/0011): the per-day summaries are exact when it commits (5.5
# minutes for a million on a busy 2-core machine; nothing is disabled).
# Environment: DB_HOST DB_PORT DB_USERNAME DB_PASSWORD DB_NAME, BASE_URL (e.g. https://localhost:8443),
# ADMIN_EMAIL ADMIN_PASSWORD; optional N (orders, default 1000000), RUNS (default 7),
# FROM (default 2035-01-01: the orders are spread over the 365 days from it),
# SKIP_INSERT=1 (time only: the orders are there from an earlier run),
# ORACLE=path/to/t/oracle/analytics_scan (built with `make t/oracle/analytics_scan`; it reads
# the app's configuration from the environment): each range's answer is also computed over
# the orders themselves, timed, and must be the API's, byte for byte.
set -eu
: "${DB_HOST:?}" "${DB_PORT:?}" "${DB_USERNAME:?}" "${DB_NAME:?}" "${BASE_URL:?}" "${ADMIN_EMAIL:?}" "${ADMIN_PASSWORD:?}"
N=${N:-1000000}
RUNS=${RUNS:-7}
FROM=${FROM:-2035-01-01}
export PGPASSWORD="${DB_PASSWORD:-}"
PSQL="psql -X -q -v ON_ERROR_STOP=1 -h $DB_HOST -p $DB_PORT -U $DB_USERNAME -d $DB_NAME"

day() { date -u -d "$FROM + $1 days" +%F; }
if [ "${SKIP_INSERT:-0}" != 1 ]; then
echo "inserting $N orders over the 365 days from $FROM (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
start=$(date +%s)
$PSQL -v n="$N" -v from="$FROM" <<'SQL'
BEGIN;
INSERT INTO users (email, name, phone) VALUES ('bench@bench.test', 'Bench', '+919800000000')
  ON CONFLICT ((lower(email))) DO NOTHING;
INSERT INTO products (slug, name, base_price)
  SELECT 'bench-' || g, 'Bench cake ' || g, 500 + g * 100 FROM generate_series(1, 20) g
  ON CONFLICT (slug) DO NOTHING;
INSERT INTO variants (product_id, label, weight_grams, price)
  SELECT id, '1 kg', 1000, base_price FROM products WHERE slug LIKE 'bench-%'
  ON CONFLICT (product_id, label) DO NOTHING;
CREATE TEMP TABLE bench_v AS
  SELECT row_number() OVER (ORDER BY v.id) AS k, v.id AS vid, v.product_id AS pid, p.name, v.price
  FROM variants v JOIN products p ON p.id = v.product_id WHERE p.slug LIKE 'bench-%';
-- every status; five slot times a day; delivered 30 to 179 minutes after the slot's start
CREATE TEMP TABLE bench_o AS
  SELECT g, (ARRAY['PENDING','CONFIRMED','BAKING','READY','DISPATCHED','DELIVERED','DELIVERED','CANCELLED'])[1 + g % 8] AS status,
         (:'from'::date + (g % 365)) + make_interval(hours => 10 + 2 * ((g / 365) % 5)) AS slot,
         1 + g % 20 AS k, 1 + g % 3 AS qty
  FROM generate_series(1, :n) g;
WITH ins AS (
  INSERT INTO orders (user_id, address, status, subtotal, delivery_fee, total_amount, delivery_slot, slot_units,
                      tracking_token, dispatched_at, delivered_at)
  SELECT (SELECT id FROM users WHERE email = 'bench@bench.test'), '{}', o.status, v.price * o.qty, 50, v.price * o.qty + 50,
         o.slot, 1, 'bench-' || o.g || '-' || md5(random()::text),
         CASE WHEN o.status IN ('DISPATCHED','DELIVERED') THEN o.slot - interval '40 minutes' END,
         CASE WHEN o.status = 'DELIVERED' THEN o.slot + make_interval(mins => 30 + (o.g % 150)) END
  FROM bench_o o JOIN bench_v v ON v.k = o.k
  RETURNING id, tracking_token)
-- the inserted rows are not visible to this statement's own scan of orders: the
-- order's variant and quantity come back through bench_o (g is in the tracking token)
INSERT INTO order_items (order_id, product_id, variant_id, product_name, variant_label, weight_grams, kitchen_units,
                         unit_price, quantity, line_total)
SELECT ins.id, v.pid, v.vid, v.name, '1 kg', 1000, 1, v.price, o.qty, v.price * o.qty
FROM ins JOIN bench_o o ON o.g = split_part(ins.tracking_token, '-', 2)::int JOIN bench_v v ON v.k = o.k;
-- a courier booked for the dispatched and delivered ones; refused for one confirmed in five
INSERT INTO deliveries (order_id, booking_state)
  SELECT id, CASE WHEN status = 'CONFIRMED' THEN 'FAILED' ELSE 'BOOKED' END FROM orders
  WHERE tracking_token LIKE 'bench-%' AND (status IN ('DISPATCHED','DELIVERED') OR (status = 'CONFIRMED' AND order_number % 5 = 0))
  ON CONFLICT (order_id) DO NOTHING;
COMMIT;
ANALYZE orders; ANALYZE order_items; ANALYZE deliveries;
ANALYZE analytics_day_orders; ANALYZE analytics_day_delivered; ANALYZE analytics_day_bookings; ANALYZE analytics_day_cakes;
SQL
echo "inserted in $(($(date +%s) - start)) s, summaries included (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
fi
$PSQL -tAc "SELECT count(*) || ' orders in the table' FROM orders"

TOKEN=$(curl -sk -H 'Content-Type: application/json' \
	-d "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" "$BASE_URL/api/auth/login" |
	sed -n 's/.*"token"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')
[ -n "$TOKEN" ] || { echo "admin login failed" >&2; exit 1; }

# the page wants the cookie session of the login form (nonce cookie + CSRF field)
JAR=$(mktemp); trap 'rm -f "$JAR"' EXIT
CSRF=$(curl -sk -c "$JAR" "$BASE_URL/admin/login" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -1)
curl -sk -b "$JAR" -c "$JAR" -o /dev/null --data-urlencode "csrf=$CSRF" --data-urlencode "email=$ADMIN_EMAIL" \
	--data-urlencode "password=$ADMIN_PASSWORD" "$BASE_URL/admin/login"
grep -q lafete_admin "$JAR" || { echo "admin page login failed" >&2; exit 1; }

# time LABEL URL CURL-ARGS...: RUNS requests after one warm-up; prints the median
time_url() {
	label=$1; url=$2; shift 2
	curl -sk -o /dev/null "$@" "$url"
	times=""
	i=0
	while [ $i -lt "$RUNS" ]; do
		t=$(curl -sk -o /dev/null -w '%{http_code} %{time_total}' "$@" "$url")
		[ "${t%% *}" = 200 ] || { echo "$label: HTTP ${t%% *} from $url" >&2; exit 1; }
		times="$times ${t#* }"
		i=$((i + 1))
	done
	echo "$times" | tr ' ' '\n' | grep . | sort -n | awk -v l="$label" -v all="$times" \
		'{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2;
		   printf "%-34s median %6.1f ms  (runs:%s s)\n", l, m * 1000, all }'
}

# the range's answer computed over the orders: timed, and the API's bytes must be its bytes
check_oracle() {
	body=$(mktemp)
	curl -sk -o "$body" -H "Authorization: Bearer $TOKEN" "$BASE_URL/api/admin/analytics?from=$2&to=$3"
	t0=$(date +%s%N)
	want=$("$ORACLE" "$2" "$3")
	t1=$(date +%s%N)
	if [ "$want" = "$(cat "$body")" ]; then
		printf '%-34s %6.1f ms over the orders; the same bytes as the API\n' "  scan $1 days (ORACLE)" "$(((t1 - t0) / 100000))e-1"
	else
		echo "$1 days: the API's answer differs from the scan over the orders" >&2; rm -f "$body"; exit 1
	fi
	rm -f "$body"
}

echo "timing $RUNS runs each (after one warm-up) against $BASE_URL (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
for range in "30 $(day 150) $(day 179)" "366 $FROM $(day 365)"; do
	set -- $range
	time_url "GET /api/admin/analytics $1 days" "$BASE_URL/api/admin/analytics?from=$2&to=$3" -H "Authorization: Bearer $TOKEN"
	time_url "GET /admin/analytics $1 days" "$BASE_URL/admin/analytics?from=$2&to=$3" -b "$JAR"
	[ -z "${ORACLE:-}" ] || check_oracle "$@"
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
