-- 0013_dispatch_passes.sql: when the dispatch pass last ran and last ran without
-- a failed duty, for /metrics (whichever host ran it: one row for the shop).
CREATE TABLE dispatch_passes (
    one               boolean PRIMARY KEY DEFAULT true CHECK (one),
    last_at           timestamptz,
    last_ms           integer,
    last_errors       integer,
    last_ok_at        timestamptz,
    last_ok_ms        integer
);
INSERT INTO dispatch_passes DEFAULT VALUES;
