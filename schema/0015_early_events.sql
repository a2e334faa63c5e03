-- 0015_early_events.sql: partner events that arrived before what they name was
-- recorded here: a Borzo callback about an order whose booking has not committed
-- yet, a Razorpay event about an order or a refund whose id is not stored yet.
-- They are kept (not acknowledged and thrown away) and applied by the
-- transaction that records their subject (src/early_events.c). Numbered 0015:
-- 0014 is taken by another branch in flight.
CREATE TABLE early_events (
    id          bigserial PRIMARY KEY,
    source      text NOT NULL CHECK (source IN ('razorpay','borzo')),
    -- what the event names: Borzo's order id; Razorpay's order_... or rfnd_... id
    subject     text NOT NULL,
    event_type  text NOT NULL,
    body        jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX early_events_subject_idx ON early_events (source, subject);
CREATE INDEX early_events_received_idx ON early_events (received_at);
