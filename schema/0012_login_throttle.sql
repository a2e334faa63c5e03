-- 0012_login_throttle.sql: failed sign-ins counted per (email, client address), plus a
-- throttle per email, instead of one lock per account (which anyone could keep shut
-- with one wrong password every 15 minutes). Keyed by the email as typed (normalised),
-- known account or not, so an unknown address is throttled exactly as an account is.

-- One client (an IPv4 address, or an IPv6 /64) signing in as one email: the back-off
-- (login_lock_seconds) of its consecutive failures, and when it last succeeded (an
-- address the account has signed in from is let in during the email's throttle).
CREATE TABLE login_clients (
    email            text NOT NULL,
    client           text NOT NULL,
    failures         integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    locked_until     timestamptz,
    last_success_at  timestamptz,
    -- a row is forgotten a day after its last failure, 90 days after its last success
    forget_after     timestamptz NOT NULL,
    PRIMARY KEY (email, client)
);
CREATE INDEX login_clients_forget_idx ON login_clients (forget_after);

-- Every failure for one email, whatever the client, in a fixed window: past the budget,
-- only known clients are let in until the window ends.
CREATE TABLE login_windows (
    email         text PRIMARY KEY,
    window_start  timestamptz NOT NULL,
    failures      integer NOT NULL CHECK (failures >= 0)
);
CREATE INDEX login_windows_start_idx ON login_windows (window_start);

-- the per-account lock is gone
ALTER TABLE users DROP COLUMN failed_logins, DROP COLUMN locked_until;
