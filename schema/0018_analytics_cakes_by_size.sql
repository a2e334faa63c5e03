-- 0018_analytics_cakes_by_size.sql: the cakes summary per size too, so that the
-- analytics page's "popular cakes by product and size" reads the range's days, not its
-- orders. (src/analytics.c read the orders and lines of the range for it: a year's page
-- cost what a year's orders cost, while every other figure cost its days.)
-- analytics_day_cakes gains the line's variant and label in its key; the answer's
-- popular cakes per product sum over them as before (schema/0014 for the rest).

DELETE FROM analytics_day_cakes;
ALTER TABLE analytics_day_cakes DROP CONSTRAINT analytics_day_cakes_pkey,
    ADD COLUMN variant_id uuid NOT NULL, ADD COLUMN variant_label text NOT NULL,
    ADD PRIMARY KEY (day, product_id, product_name, variant_id, variant_label);
-- empty outside a transaction under way, and this one has noted nothing
ALTER TABLE analytics_day_cakes_pending
    ADD COLUMN variant_id uuid NOT NULL, ADD COLUMN variant_label text NOT NULL;

CREATE OR REPLACE FUNCTION analytics_fold() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    me xid8 := pg_current_xact_id();
BEGIN
    DELETE FROM analytics_pending_tx WHERE tx = me;
    WITH d AS (DELETE FROM analytics_day_bookings_pending WHERE tx = me RETURNING *)
    INSERT INTO analytics_day_bookings AS t (day, booked, failed)
    SELECT day, sum(booked), sum(failed) FROM d GROUP BY day
    HAVING sum(booked) <> 0 OR sum(failed) <> 0 ORDER BY day
    ON CONFLICT (day) DO UPDATE SET booked = t.booked + EXCLUDED.booked, failed = t.failed + EXCLUDED.failed;

    WITH d AS (DELETE FROM analytics_day_cakes_pending WHERE tx = me RETURNING *)
    INSERT INTO analytics_day_cakes AS t (day, product_id, product_name, variant_id, variant_label, lines, quantity, revenue)
    SELECT day, product_id, product_name, variant_id, variant_label, sum(lines), sum(quantity), sum(revenue) FROM d
    GROUP BY day, product_id, product_name, variant_id, variant_label
    HAVING sum(lines) <> 0 OR sum(quantity) <> 0 OR sum(revenue) <> 0
    ORDER BY day, product_id, product_name, variant_id, variant_label
    ON CONFLICT (day, product_id, product_name, variant_id, variant_label) DO UPDATE SET lines = t.lines + EXCLUDED.lines,
        quantity = t.quantity + EXCLUDED.quantity, revenue = t.revenue + EXCLUDED.revenue;

    WITH d AS (DELETE FROM analytics_day_delivered_pending WHERE tx = me RETURNING *)
    INSERT INTO analytics_day_delivered AS t (day, late, scale, orders, minutes)
    SELECT day, late, scale, sum(orders), sum(minutes) FROM d GROUP BY day, late, scale
    HAVING sum(orders) <> 0 OR sum(minutes) <> 0 ORDER BY day, late, scale
    ON CONFLICT (day, late, scale) DO UPDATE SET orders = t.orders + EXCLUDED.orders,
        minutes = t.minutes + EXCLUDED.minutes;

    WITH d AS (DELETE FROM analytics_day_orders_pending WHERE tx = me RETURNING *)
    INSERT INTO analytics_day_orders AS t (day, slot, status, orders, amount, units)
    SELECT day, slot, status, sum(orders), sum(amount), sum(units) FROM d GROUP BY day, slot, status
    HAVING sum(orders) <> 0 OR sum(amount) <> 0 OR sum(units) <> 0 ORDER BY day, slot, status
    ON CONFLICT (day, slot, status) DO UPDATE SET orders = t.orders + EXCLUDED.orders,
        amount = t.amount + EXCLUDED.amount, units = t.units + EXCLUDED.units;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION analytics_note_children(order_id uuid, order_status text, order_slot timestamptz, sign integer)
    RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO analytics_day_cakes_pending (day, product_id, product_name, variant_id, variant_label, lines, quantity, revenue)
    SELECT analytics_day(order_slot), i.product_id, i.product_name, i.variant_id, i.variant_label, sign * count(*),
           sign * sum(i.quantity), sign * sum(i.line_total)
    FROM order_items i WHERE i.order_id = analytics_note_children.order_id AND analytics_paid(order_status)
    GROUP BY i.product_id, i.product_name, i.variant_id, i.variant_label;
    INSERT INTO analytics_day_bookings_pending (day, booked, failed)
    SELECT analytics_day(order_slot), sign * (d.booking_state = 'BOOKED')::integer,
           sign * (d.booking_state = 'FAILED')::integer
    FROM deliveries d WHERE d.order_id = analytics_note_children.order_id AND d.booking_state IN ('BOOKED', 'FAILED');
    INSERT INTO analytics_pending_tx DEFAULT VALUES ON CONFLICT DO NOTHING;
END $$;

CREATE OR REPLACE FUNCTION analytics_items_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    o record;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        SELECT delivery_slot, status INTO o FROM orders WHERE id = OLD.order_id FOR NO KEY UPDATE;
        IF FOUND AND analytics_paid(o.status) THEN
            INSERT INTO analytics_day_cakes_pending (day, product_id, product_name, variant_id, variant_label, lines, quantity, revenue)
            VALUES (analytics_day(o.delivery_slot), OLD.product_id, OLD.product_name, OLD.variant_id, OLD.variant_label,
                    -1, -OLD.quantity, -OLD.line_total);
            INSERT INTO analytics_pending_tx DEFAULT VALUES ON CONFLICT DO NOTHING;
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        SELECT delivery_slot, status INTO o FROM orders WHERE id = NEW.order_id FOR NO KEY UPDATE;
        IF FOUND AND analytics_paid(o.status) THEN
            INSERT INTO analytics_day_cakes_pending (day, product_id, product_name, variant_id, variant_label, lines, quantity, revenue)
            VALUES (analytics_day(o.delivery_slot), NEW.product_id, NEW.product_name, NEW.variant_id, NEW.variant_label,
                    1, NEW.quantity, NEW.line_total);
            INSERT INTO analytics_pending_tx DEFAULT VALUES ON CONFLICT DO NOTHING;
        END IF;
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER order_items_analytics_update ON order_items;
CREATE TRIGGER order_items_analytics_update AFTER UPDATE ON order_items
    FOR EACH ROW WHEN ((OLD.order_id, OLD.product_id, OLD.product_name, OLD.variant_id, OLD.variant_label, OLD.quantity,
                        OLD.line_total)
                       IS DISTINCT FROM (NEW.order_id, NEW.product_id, NEW.product_name, NEW.variant_id,
                                         NEW.variant_label, NEW.quantity, NEW.line_total))
    EXECUTE FUNCTION analytics_items_change();

CREATE OR REPLACE FUNCTION analytics_rebuild() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    me xid8 := pg_current_xact_id();
BEGIN
    -- every writer under way commits (and folds) first; later ones wait for us
    LOCK TABLE orders, order_items, deliveries IN SHARE MODE;
    -- what this transaction noted is in the tables already, so recomputed below
    DELETE FROM analytics_pending_tx WHERE tx = me;
    DELETE FROM analytics_day_orders_pending WHERE tx = me;
    DELETE FROM analytics_day_delivered_pending WHERE tx = me;
    DELETE FROM analytics_day_bookings_pending WHERE tx = me;
    DELETE FROM analytics_day_cakes_pending WHERE tx = me;
    DELETE FROM analytics_day_orders;
    DELETE FROM analytics_day_delivered;
    DELETE FROM analytics_day_bookings;
    DELETE FROM analytics_day_cakes;

    INSERT INTO analytics_day_orders (day, slot, status, orders, amount, units)
    SELECT analytics_day(delivery_slot), analytics_slot(delivery_slot), status, count(*), sum(total_amount), sum(slot_units)
    FROM orders GROUP BY 1, 2, 3;

    INSERT INTO analytics_day_delivered (day, late, scale, orders, minutes)
    SELECT analytics_day(o.delivery_slot), analytics_late(o.delivery_slot, o.delivered_at), coalesce(scale(m), -1),
           count(*), sum(coalesce(m, 0))
    FROM orders o, analytics_minutes(o.dispatched_at, o.delivered_at) m
    WHERE o.status = 'DELIVERED' AND o.delivered_at IS NOT NULL GROUP BY 1, 2, 3;

    INSERT INTO analytics_day_bookings (day, booked, failed)
    SELECT analytics_day(o.delivery_slot), count(*) FILTER (WHERE d.booking_state = 'BOOKED'),
           count(*) FILTER (WHERE d.booking_state = 'FAILED')
    FROM orders o JOIN deliveries d ON d.order_id = o.id
    WHERE d.booking_state IN ('BOOKED', 'FAILED') GROUP BY 1;

    INSERT INTO analytics_day_cakes (day, product_id, product_name, variant_id, variant_label, lines, quantity, revenue)
    SELECT analytics_day(o.delivery_slot), i.product_id, i.product_name, i.variant_id, i.variant_label, count(*),
           sum(i.quantity), sum(i.line_total)
    FROM orders o JOIN order_items i ON i.order_id = o.id
    WHERE analytics_paid(o.status) GROUP BY 1, 2, 3, 4, 5;
END $$;

SELECT analytics_rebuild();
