-- 0006_fulfilment.sql: courier booking bookkeeping and the dispatch pass's indexes.

-- A create-order whose answer was lost (timeout, or a worker that died while
-- the row was IN_PROGRESS): the next attempt looks the order up at Borzo
-- (GET /orders, points[].client_order_id) before it creates anything.
ALTER TABLE deliveries ADD COLUMN outcome_unknown boolean NOT NULL DEFAULT false;
-- Borzo's last raw order/delivery status, for staff.
ALTER TABLE deliveries ADD COLUMN borzo_status text;
-- When the current attempt started (stale IN_PROGRESS rows are looked up).
ALTER TABLE deliveries ADD COLUMN attempt_started_at timestamptz;
ALTER TABLE deliveries ADD COLUMN cancelled_at timestamptz;

-- Orders the dispatch pass looks at: paid, not yet dispatched, by slot.
CREATE INDEX orders_dispatchable_idx ON orders (delivery_slot)
    WHERE status IN ('CONFIRMED', 'BAKING', 'READY');
CREATE INDEX jobs_running_idx ON jobs (locked_at) WHERE state = 'running';
