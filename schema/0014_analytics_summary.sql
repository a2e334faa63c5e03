-- 0014_analytics_summary.sql: the analytics read per-day summaries kept exact by
-- triggers, so a range costs what its days cost, not what its orders cost.
--
-- Days and slot times are Asia/Kolkata's, as src/analytics.c counts them. Each
-- summary holds what the analytics answer is made of, per delivery day:
--   analytics_day_orders     orders, amount and kitchen units per slot time and status
--   analytics_day_delivered  delivered orders (with a delivery time) per minute late and
--                            per scale of their dispatch-to-door minutes (see below)
--   analytics_day_bookings   BOOKED and FAILED courier bookings, on their order's day
--   analytics_day_cakes      the lines, cakes and revenue of paid orders per product
--                            (and the name the line carries: the answer shows the greatest)
-- Rows whose figures went back to zero stay; readers skip them where it matters.
--
-- How a change reaches them: row triggers on orders, order_items and deliveries note
-- the change's deltas (what the new row adds minus what the old row took) in
-- *_pending tables, in the statement that makes the change, reading the other table
-- as the statement left it. At COMMIT one deferred trigger folds the transaction's
-- deltas into the summaries with INSERT ... ON CONFLICT DO UPDATE (increments), in
-- key order. So:
--   * two transactions changing the same day never lose an update (the upsert adds
--     to the row as it is; the later one waits for the earlier one's commit);
--   * the summary rows are the last locks a writer takes, in one order: no deadlock
--     with the shop's own locks. (Updated in place, a day's row would be locked from
--     the order's INSERT or UPDATE to the commit: a cancellation holds it, then wants
--     the slot's delivery_slots row; a placement holds that row, then wants the day's.)
--   * a transaction that rolls back (or a savepoint rolled back) leaves nothing.
-- A child's trigger locks its order (FOR NO KEY UPDATE, what an UPDATE of the order
-- takes) before reading its day and status, and an order's trigger reads its items
-- and delivery; under READ COMMITTED (every writer of the app) an order changing
-- while a child changes is then counted once. One statement that changes an order's
-- status or day AND its items (a data-modifying WITH) is not supported.
--
-- analytics_rebuild() recomputes everything from the orders (the backfill below, and
-- after a bulk load); TRUNCATE of a source table rebuilds.

-- The figures of one row, in one place (the triggers and the rebuild use them).
CREATE FUNCTION analytics_day(slot timestamptz) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (slot AT TIME ZONE 'Asia/Kolkata')::date;
CREATE FUNCTION analytics_slot(slot timestamptz) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN to_char(slot AT TIME ZONE 'Asia/Kolkata', 'HH24:MI');
CREATE FUNCTION analytics_paid(status text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN status IN ('CONFIRMED', 'BAKING', 'READY', 'DISPATCHED', 'DELIVERED');
-- Minutes after the slot's start, rounded up, clamped to 0..1441: delivered_at <=
-- slot + m minutes exactly when late <= m, for every SLOT_MINUTES m up to 1440 (the
-- configuration allows 15..720), so the on-time count follows the configuration.
CREATE FUNCTION analytics_late(slot timestamptz, delivered_at timestamptz) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN least(greatest(ceil(EXTRACT(EPOCH FROM delivered_at - slot) / 60), 0), 1441)::integer;
-- Dispatch to door in minutes, the expression the answer averages. Its numeric scale
-- depends on the value (20 under a minute, 16 up to days, 12 beyond), and the average
-- is divided at the greatest scale of the orders it sums: the summary keeps one row
-- per scale so that the answer is the same to the last digit.
CREATE FUNCTION analytics_minutes(dispatched_at timestamptz, delivered_at timestamptz) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN EXTRACT(EPOCH FROM delivered_at - dispatched_at) / 60;

CREATE TABLE analytics_day_orders (
    day     date NOT NULL,
    slot    text NOT NULL,            -- the slot's start, HH24:MI
    status  text NOT NULL,
    orders  bigint NOT NULL,
    amount  numeric(14,2) NOT NULL,   -- total_amount
    units   bigint NOT NULL,          -- slot_units
    PRIMARY KEY (day, slot, status)
);
CREATE TABLE analytics_day_delivered (
    day      date NOT NULL,
    late     integer NOT NULL,        -- analytics_late
    scale    integer NOT NULL,        -- of analytics_minutes; -1: never dispatched (not timed)
    orders   bigint NOT NULL,
    minutes  numeric NOT NULL,        -- sum of analytics_minutes, its scale kept (no typmod)
    PRIMARY KEY (day, late, scale)
);
CREATE TABLE analytics_day_bookings (
    day     date PRIMARY KEY,
    booked  bigint NOT NULL,
    failed  bigint NOT NULL
);
CREATE TABLE analytics_day_cakes (
    day           date NOT NULL,
    product_id    uuid NOT NULL,
    product_name  text NOT NULL,
    lines         bigint NOT NULL,
    quantity      bigint NOT NULL,
    revenue       numeric(14,2) NOT NULL,  -- line_total
    PRIMARY KEY (day, product_id, product_name)
);

-- The deltas of transactions under way, folded at their commit. Unlogged: they never
-- outlive their transaction, and a crash ends the transaction too.
CREATE UNLOGGED TABLE analytics_day_orders_pending (
    tx xid8 NOT NULL DEFAULT pg_current_xact_id(), LIKE analytics_day_orders);
CREATE UNLOGGED TABLE analytics_day_delivered_pending (
    tx xid8 NOT NULL DEFAULT pg_current_xact_id(), LIKE analytics_day_delivered);
CREATE UNLOGGED TABLE analytics_day_bookings_pending (
    tx xid8 NOT NULL DEFAULT pg_current_xact_id(), LIKE analytics_day_bookings);
CREATE UNLOGGED TABLE analytics_day_cakes_pending (
    tx xid8 NOT NULL DEFAULT pg_current_xact_id(), LIKE analytics_day_cakes);
CREATE INDEX analytics_day_orders_pending_tx ON analytics_day_orders_pending (tx);
CREATE INDEX analytics_day_delivered_pending_tx ON analytics_day_delivered_pending (tx);
CREATE INDEX analytics_day_bookings_pending_tx ON analytics_day_bookings_pending (tx);
CREATE INDEX analytics_day_cakes_pending_tx ON analytics_day_cakes_pending (tx);
-- One row per transaction with deltas: its insert queues the one fold at commit. It is
-- inserted after the deltas it covers: under SET CONSTRAINTS ... IMMEDIATE the fold runs
-- right after that insert, and must find them.
CREATE UNLOGGED TABLE analytics_pending_tx (tx xid8 PRIMARY KEY DEFAULT pg_current_xact_id());

-- Folds this transaction's deltas into the summaries, table after table, each in key
-- order (so that two commits lock the rows they share in the same order).
CREATE FUNCTION analytics_fold() RETURNS trigger LANGUAGE plpgsql AS $$
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
    INSERT INTO analytics_day_cakes AS t (day, product_id, product_name, lines, quantity, revenue)
    SELECT day, product_id, product_name, sum(lines), sum(quantity), sum(revenue) FROM d
    GROUP BY day, product_id, product_name
    HAVING sum(lines) <> 0 OR sum(quantity) <> 0 OR sum(revenue) <> 0 ORDER BY day, product_id, product_name
    ON CONFLICT (day, product_id, product_name) DO UPDATE SET lines = t.lines + EXCLUDED.lines,
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
CREATE CONSTRAINT TRIGGER analytics_fold_at_commit AFTER INSERT ON analytics_pending_tx
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION analytics_fold();

-- What an order's items (while it is paid) and its delivery count on its day, times sign.
CREATE FUNCTION analytics_note_children(order_id uuid, order_status text, order_slot timestamptz, sign integer)
    RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO analytics_day_cakes_pending (day, product_id, product_name, lines, quantity, revenue)
    SELECT analytics_day(order_slot), i.product_id, i.product_name, sign * count(*), sign * sum(i.quantity),
           sign * sum(i.line_total)
    FROM order_items i WHERE i.order_id = analytics_note_children.order_id AND analytics_paid(order_status)
    GROUP BY i.product_id, i.product_name;
    INSERT INTO analytics_day_bookings_pending (day, booked, failed)
    SELECT analytics_day(order_slot), sign * (d.booking_state = 'BOOKED')::integer,
           sign * (d.booking_state = 'FAILED')::integer
    FROM deliveries d WHERE d.order_id = analytics_note_children.order_id AND d.booking_state IN ('BOOKED', 'FAILED');
    INSERT INTO analytics_pending_tx DEFAULT VALUES ON CONFLICT DO NOTHING;
END $$;

-- orders: its own figures (what the new row adds and the old row took: OLD is NULL on
-- INSERT, NEW on DELETE); its items and delivery move with its day and paid state.
-- Deletion is noted BEFORE the row goes: the cascade removes the items afterwards, when
-- their own trigger no longer finds the order.
CREATE FUNCTION analytics_orders_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO analytics_day_orders_pending (day, slot, status, orders, amount, units)
    SELECT analytics_day(s.slot), analytics_slot(s.slot), s.status, s.sign, s.sign * s.amount, s.sign * s.units
    FROM (VALUES (OLD.delivery_slot, OLD.status, OLD.total_amount, OLD.slot_units, -1),
                 (NEW.delivery_slot, NEW.status, NEW.total_amount, NEW.slot_units, 1)) s (slot, status, amount, units, sign)
    WHERE s.status IS NOT NULL;
    INSERT INTO analytics_day_delivered_pending (day, late, scale, orders, minutes)
    SELECT analytics_day(s.slot), analytics_late(s.slot, s.delivered_at), coalesce(scale(m), -1), s.sign, s.sign * coalesce(m, 0)
    FROM (VALUES (OLD.delivery_slot, OLD.status, OLD.dispatched_at, OLD.delivered_at, -1),
                 (NEW.delivery_slot, NEW.status, NEW.dispatched_at, NEW.delivered_at, 1))
         s (slot, status, dispatched_at, delivered_at, sign),
         analytics_minutes(s.dispatched_at, s.delivered_at) m
    WHERE s.status = 'DELIVERED' AND s.delivered_at IS NOT NULL;
    INSERT INTO analytics_pending_tx DEFAULT VALUES ON CONFLICT DO NOTHING;
    IF TG_OP = 'DELETE' THEN
        PERFORM analytics_note_children(OLD.id, OLD.status, OLD.delivery_slot, -1);
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND (analytics_paid(OLD.status) <> analytics_paid(NEW.status)
                             OR analytics_day(OLD.delivery_slot) <> analytics_day(NEW.delivery_slot)) THEN
        PERFORM analytics_note_children(OLD.id, OLD.status, OLD.delivery_slot, -1);
        PERFORM analytics_note_children(NEW.id, NEW.status, NEW.delivery_slot, 1);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER orders_analytics_insert AFTER INSERT ON orders
    FOR EACH ROW EXECUTE FUNCTION analytics_orders_change();
CREATE TRIGGER orders_analytics_update AFTER UPDATE ON orders
    FOR EACH ROW WHEN ((OLD.status, OLD.delivery_slot, OLD.total_amount, OLD.slot_units, OLD.dispatched_at, OLD.delivered_at)
                       IS DISTINCT FROM
                       (NEW.status, NEW.delivery_slot, NEW.total_amount, NEW.slot_units, NEW.dispatched_at, NEW.delivered_at))
    EXECUTE FUNCTION analytics_orders_change();
CREATE TRIGGER orders_analytics_delete BEFORE DELETE ON orders
    FOR EACH ROW EXECUTE FUNCTION analytics_orders_change();

-- order_items: a line counts on its order's day while the order is paid.
CREATE FUNCTION analytics_items_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    o record;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        SELECT delivery_slot, status INTO o FROM orders WHERE id = OLD.order_id FOR NO KEY UPDATE;
        IF FOUND AND analytics_paid(o.status) THEN
            INSERT INTO analytics_day_cakes_pending (day, product_id, product_name, lines, quantity, revenue)
            VALUES (analytics_day(o.delivery_slot), OLD.product_id, OLD.product_name, -1, -OLD.quantity, -OLD.line_total);
            INSERT INTO analytics_pending_tx DEFAULT VALUES ON CONFLICT DO NOTHING;
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        SELECT delivery_slot, status INTO o FROM orders WHERE id = NEW.order_id FOR NO KEY UPDATE;
        IF FOUND AND analytics_paid(o.status) THEN
            INSERT INTO analytics_day_cakes_pending (day, product_id, product_name, lines, quantity, revenue)
            VALUES (analytics_day(o.delivery_slot), NEW.product_id, NEW.product_name, 1, NEW.quantity, NEW.line_total);
            INSERT INTO analytics_pending_tx DEFAULT VALUES ON CONFLICT DO NOTHING;
        END IF;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER order_items_analytics_insert AFTER INSERT ON order_items
    FOR EACH ROW EXECUTE FUNCTION analytics_items_change();
CREATE TRIGGER order_items_analytics_update AFTER UPDATE ON order_items
    FOR EACH ROW WHEN ((OLD.order_id, OLD.product_id, OLD.product_name, OLD.quantity, OLD.line_total)
                       IS DISTINCT FROM (NEW.order_id, NEW.product_id, NEW.product_name, NEW.quantity, NEW.line_total))
    EXECUTE FUNCTION analytics_items_change();
CREATE TRIGGER order_items_analytics_delete AFTER DELETE ON order_items
    FOR EACH ROW EXECUTE FUNCTION analytics_items_change();

-- deliveries: BOOKED and FAILED bookings count on their order's day.
CREATE FUNCTION analytics_deliveries_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    o record;
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.booking_state IN ('BOOKED', 'FAILED') THEN
        SELECT delivery_slot INTO o FROM orders WHERE id = OLD.order_id FOR NO KEY UPDATE;
        IF FOUND THEN
            INSERT INTO analytics_day_bookings_pending (day, booked, failed)
            VALUES (analytics_day(o.delivery_slot), -(OLD.booking_state = 'BOOKED')::integer,
                    -(OLD.booking_state = 'FAILED')::integer);
            INSERT INTO analytics_pending_tx DEFAULT VALUES ON CONFLICT DO NOTHING;
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.booking_state IN ('BOOKED', 'FAILED') THEN
        SELECT delivery_slot INTO o FROM orders WHERE id = NEW.order_id FOR NO KEY UPDATE;
        IF FOUND THEN
            INSERT INTO analytics_day_bookings_pending (day, booked, failed)
            VALUES (analytics_day(o.delivery_slot), (NEW.booking_state = 'BOOKED')::integer,
                    (NEW.booking_state = 'FAILED')::integer);
            INSERT INTO analytics_pending_tx DEFAULT VALUES ON CONFLICT DO NOTHING;
        END IF;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER deliveries_analytics_insert AFTER INSERT ON deliveries
    FOR EACH ROW WHEN (NEW.booking_state IN ('BOOKED', 'FAILED'))
    EXECUTE FUNCTION analytics_deliveries_change();
CREATE TRIGGER deliveries_analytics_update AFTER UPDATE ON deliveries
    FOR EACH ROW WHEN ((OLD.order_id, OLD.booking_state) IS DISTINCT FROM (NEW.order_id, NEW.booking_state)
                       AND (OLD.booking_state IN ('BOOKED', 'FAILED') OR NEW.booking_state IN ('BOOKED', 'FAILED')))
    EXECUTE FUNCTION analytics_deliveries_change();
CREATE TRIGGER deliveries_analytics_delete AFTER DELETE ON deliveries
    FOR EACH ROW WHEN (OLD.booking_state IN ('BOOKED', 'FAILED'))
    EXECUTE FUNCTION analytics_deliveries_change();

-- Recomputes every summary from orders, order_items and deliveries (writers of those
-- wait meanwhile). Run after a bulk load made with the triggers disabled, or to check.
CREATE FUNCTION analytics_rebuild() RETURNS void LANGUAGE plpgsql AS $$
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

    INSERT INTO analytics_day_cakes (day, product_id, product_name, lines, quantity, revenue)
    SELECT analytics_day(o.delivery_slot), i.product_id, i.product_name, count(*), sum(i.quantity), sum(i.line_total)
    FROM orders o JOIN order_items i ON i.order_id = o.id
    WHERE analytics_paid(o.status) GROUP BY 1, 2, 3;
END $$;

-- TRUNCATE fires no row trigger: the summaries are recomputed from what is left.
CREATE FUNCTION analytics_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM analytics_rebuild();
    RETURN NULL;
END $$;
CREATE TRIGGER orders_analytics_truncate AFTER TRUNCATE ON orders
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_truncated();
CREATE TRIGGER order_items_analytics_truncate AFTER TRUNCATE ON order_items
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_truncated();
CREATE TRIGGER deliveries_analytics_truncate AFTER TRUNCATE ON deliveries
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_truncated();

-- the orders already there
SELECT analytics_rebuild();
