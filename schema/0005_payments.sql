-- 0005_payments.sql: bookkeeping for Razorpay order creation and refund retries.

-- Why the last Razorpay call for this payment failed (CREATING rows are retried).
ALTER TABLE payments ADD COLUMN last_error text;

-- Refunds waiting for a retry are found by status.
CREATE INDEX refunds_pending_idx ON refunds (created_at) WHERE status = 'PENDING';
CREATE INDEX refunds_order_idx ON refunds (order_id);
