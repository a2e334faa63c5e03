-- bench/order.sql: pgbench script that mirrors the SQL of POST /api/orders (src/orders.c,
-- src/slots.c): the idempotency lookup, then ONE transaction: lock the cart, lock and price
-- its items, look the key up again, check the slot, book the slot's units (the conditional
-- UPDATE), insert the order, its items and its first history row, empty the cart.
-- Each transaction takes the next prepared buyer (bench_buyers, filled by bench/run, whose
-- cart holds one item), so every order is a real one. Run with -M prepared and
--   -D day0=YYYY-MM-DD (first slot day) -D sub=... -D fee=... -D total=...
-- The first statement (the buyer's lookup by number) stands in for the app's token check,
-- which also reads the users row before the transaction.
\set d random(0, 5)
\set h 10 + 2 * random(0, 5)
SELECT b.user_id AS uid, b.address_id AS aid, c.id AS cart, 'pg-' || b.n AS key,
       ((:day0::date + :d::int) + make_interval(hours => :h::int)) AT TIME ZONE 'Asia/Kolkata' AS slot
  FROM bench_buyers b JOIN carts c ON c.user_id = b.user_id
 WHERE b.n = (SELECT nextval('bench_pg_seq')) \gset
SELECT id FROM orders WHERE user_id = :uid AND idempotency_key = :key;
BEGIN;
SELECT id FROM carts WHERE user_id = :uid FOR UPDATE;
SELECT p.name, v.label, v.weight_grams, v.kitchen_units, v.price::text AS price, ci.quantity,
       p.lead_time_hours, (v.is_available AND v.archived_at IS NULL AND p.is_available
       AND p.archived_at IS NULL) AS sellable, v.id AS variant_id
  FROM cart_items ci JOIN variants v ON v.id = ci.variant_id JOIN products p ON p.id = v.product_id
 WHERE ci.cart_id = :cart ORDER BY ci.created_at FOR UPDATE OF ci FOR SHARE OF v, p;
SELECT id FROM orders WHERE user_id = :uid AND idempotency_key = :key;
SELECT to_char((:slot::timestamptz AT TIME ZONE 'Asia/Kolkata')::date, 'YYYY-MM-DD') AS d,
       extract(epoch FROM :slot::timestamptz)::bigint AS epoch;
INSERT INTO delivery_slots (slot_start, capacity_units) VALUES (:slot::timestamptz, 10000)
  ON CONFLICT (slot_start) DO NOTHING;
UPDATE delivery_slots SET booked_units = booked_units + 1
 WHERE slot_start = :slot::timestamptz AND booked_units + 1 <= capacity_units RETURNING booked_units;
INSERT INTO orders (user_id, address_id, address, subtotal, delivery_fee, total_amount, delivery_slot,
                    slot_units, custom_message, is_gift, gift_message, idempotency_key, tracking_token)
SELECT :uid, a.id, jsonb_build_object('label', a.label, 'street', a.street, 'city', a.city,
       'pincode', a.pincode, 'latitude', a.latitude, 'longitude', a.longitude,
       'contactName', u.name, 'contactPhone', u.phone),
       :sub::numeric, :fee::numeric, :total::numeric, :slot::timestamptz, 1, NULL, false, NULL, :key,
       md5(random()::text)
  FROM addresses a JOIN users u ON u.id = a.user_id WHERE a.id = :aid AND a.user_id = :uid
ON CONFLICT (user_id, idempotency_key) DO NOTHING RETURNING id AS order_id \gset
INSERT INTO order_items (order_id, product_id, variant_id, product_name, variant_label, weight_grams,
                         kitchen_units, unit_price, quantity, line_total)
SELECT :order_id, p.id, v.id, p.name, v.label, v.weight_grams, v.kitchen_units, v.price, ci.quantity,
       v.price * ci.quantity
  FROM cart_items ci JOIN variants v ON v.id = ci.variant_id JOIN products p ON p.id = v.product_id
 WHERE ci.cart_id = :cart;
INSERT INTO order_status_history (order_id, from_status, to_status, actor, note)
VALUES (:order_id, NULL, 'PENDING', 'customer:' || :uid, 'order placed');
DELETE FROM cart_items WHERE cart_id = :cart;
UPDATE carts SET updated_at = now() WHERE id = :cart;
COMMIT;
