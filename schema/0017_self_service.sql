-- 0017_self_service.sql: customers look after their own accounts (issue 14):
-- password resets, the outbox's emails that belong to an account rather than an
-- order, and what an erased account keeps.

-- One password reset request. Its token is made when its email is sent (by the
-- dispatch pass) and only the token's SHA-256 is kept: neither this table nor the
-- outbox ever holds the token itself. A new request voids the older ones; a
-- confirm spends its own and voids the rest.
CREATE TABLE password_resets (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash  text UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),  -- NULL until the email goes
    expires_at  timestamptz,                                          -- 30 minutes after the token is made
    created_at  timestamptz NOT NULL DEFAULT now(),
    used_at     timestamptz,
    voided_at   timestamptz,
    CHECK ((token_hash IS NULL) = (expires_at IS NULL))
);
CREATE INDEX password_resets_live_idx ON password_resets (user_id) WHERE used_at IS NULL AND voided_at IS NULL;

-- Reset requests per email as typed (normalised), known account or not, in a fixed
-- window (as login_windows counts failed sign-ins): past the budget no email is sent,
-- and the answer stays the same.
CREATE TABLE password_reset_windows (
    email         text PRIMARY KEY,
    window_start  timestamptz NOT NULL,
    requests      integer NOT NULL CHECK (requests >= 0)
);
CREATE INDEX password_reset_windows_start_idx ON password_reset_windows (window_start);

-- Emails of an account that name no order (a password reset), and the reset one carries.
-- Workers of the previous release write order emails without user_id: readers go
-- through the order as well.
ALTER TABLE emails ADD COLUMN user_id uuid REFERENCES users(id);
ALTER TABLE emails ADD COLUMN password_reset_id uuid REFERENCES password_resets(id) ON DELETE SET NULL;
UPDATE emails e SET user_id = o.user_id FROM orders o WHERE o.id = e.order_id;
CREATE INDEX emails_user_idx ON emails (user_id);
-- 'void': never to be sent (a reset superseded before its email went, an erased account)
ALTER TABLE emails DROP CONSTRAINT emails_state_check,
    ADD CONSTRAINT emails_state_check CHECK (state IN ('queued', 'sent', 'dead', 'void'));

-- An erased account keeps its row (its orders and payments point at it), without a phone.
ALTER TABLE users ALTER COLUMN phone DROP NOT NULL,
    ADD CONSTRAINT users_phone_kept CHECK (phone IS NOT NULL OR deleted_at IS NOT NULL);
