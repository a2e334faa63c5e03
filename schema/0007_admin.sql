-- 0007_admin.sql: indexes for the admin pages (jobs needing a look, orders flagged for attention).
-- Analytics and the day's orders read by delivery slot through orders_slot_idx (0001).
CREATE INDEX IF NOT EXISTS jobs_failing_idx ON jobs (updated_at) WHERE state = 'dead' OR (state = 'queued' AND attempts > 0);
CREATE INDEX IF NOT EXISTS emails_open_idx ON emails (id) WHERE state IN ('queued', 'dead');
CREATE INDEX IF NOT EXISTS orders_attention_idx ON orders (delivery_slot) WHERE needs_attention;
