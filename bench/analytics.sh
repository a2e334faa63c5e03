#!/bin/sh
# bench/analytics.sh: insert 100 000 orders into the database given by DB_* and time
# GET /api/admin/analytics several times (median). A benchmark, not a test.
# Environment: DB_HOST DB_PORT DB_USERNAME DB_PASSWORD DB_NAME, BASE_URL (e.g. https://localhost:8443),
# ADMIN_EMAIL ADMIN_PASSWORD; optional N (orders, default 100000), RUNS (default 7),
# FROM/TO (default the year the orders are spread over).
set -eu
: "${DB_HOST:?}" "${DB_PORT:?}" "${DB_USERNAME:?}" "${DB_NAME:?}" "${BASE_URL:?}" "${ADMIN_EMAIL:?}" "${ADMIN_PASSWORD:?}"
N=${N:-100000}
RUNS=${RUNS:-7}
FROM=${FROM:-2035-01-01}
TO=${TO:-2035-12-31}
export PGPASSWORD="${DB_PASSWORD:-}"
PSQL="psql -X -q -v ON_ERROR_STOP=1 -h $DB_HOST -p $DB_PORT -U $DB_USERNAME -d $DB_NAME"

echo "inserting $N orders over $FROM .. $TO"
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
CREATE TEMP TABLE bench_o AS
  SELECT g, (ARRAY['CONFIRMED','DELIVERED','DELIVERED','DISPATCHED','CANCELLED','PENDING'])[1 + g % 6] AS status,
         (:'from'::date + (g % 365)) + make_interval(hours => 10 + 2 * (g % 5)) AS slot,
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
  RETURNING id, total_amount, delivery_fee, status)
INSERT INTO order_items (order_id, product_id, variant_id, product_name, variant_label, weight_grams, kitchen_units,
                         unit_price, quantity, line_total)
SELECT ins.id, v.pid, v.vid, v.name, '1 kg', 1000, 1, v.price, ((ins.total_amount - ins.delivery_fee) / v.price)::int,
       ins.total_amount - ins.delivery_fee
FROM ins JOIN orders o ON o.id = ins.id JOIN bench_v v ON v.k = 1 + (o.order_number % 20)
WHERE (ins.total_amount - ins.delivery_fee) % v.price = 0;
INSERT INTO deliveries (order_id, booking_state)
  SELECT id, 'BOOKED' FROM orders WHERE tracking_token LIKE 'bench-%' AND status IN ('DISPATCHED','DELIVERED')
  ON CONFLICT (order_id) DO NOTHING;
COMMIT;
ANALYZE orders; ANALYZE order_items; ANALYZE deliveries;
SQL

TOKEN=$(curl -sk -H 'Content-Type: application/json' \
	-d "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" "$BASE_URL/api/auth/login" |
	sed -n 's/.*"token"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')
[ -n "$TOKEN" ] || { echo "admin login failed" >&2; exit 1; }

URL="$BASE_URL/api/admin/analytics?from=$FROM&to=$TO"
echo "timing $URL ($RUNS runs)"
i=0
TIMES=""
while [ $i -lt "$RUNS" ]; do
	t=$(curl -sk -o /dev/null -w '%{http_code} %{time_total}' -H "Authorization: Bearer $TOKEN" "$URL")
	echo "  run $((i + 1)): $t"
	TIMES="$TIMES ${t#* }"
	i=$((i + 1))
done
echo "$TIMES" | tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { printf "median: %.3f s\n", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
