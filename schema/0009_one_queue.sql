-- 0009_one_queue.sql: one queue of background work. Emails are sent by jobs of
-- kind send_email like every other piece of background work; the back-off counts
-- failures from before a job existed (prior_failures).
ALTER TABLE jobs ADD COLUMN prior_failures integer NOT NULL DEFAULT 0 CHECK (prior_failures >= 0);

-- Every queued email gets its job when it is written, whoever writes it; an email
-- is dead after 8 failed sends.
CREATE FUNCTION email_job_queue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO jobs (kind, order_id, payload, max_attempts, run_at)
    VALUES ('send_email', NEW.order_id, jsonb_build_object('email_id', NEW.id), 8, NEW.send_after);
    RETURN NULL;
END $$;
CREATE TRIGGER emails_queue_job AFTER INSERT ON emails
    FOR EACH ROW WHEN (NEW.state = 'queued') EXECUTE FUNCTION email_job_queue();

-- Moving a queued email's send_after moves its job.
CREATE FUNCTION email_job_reschedule() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE jobs SET run_at = NEW.send_after, updated_at = now()
    WHERE kind = 'send_email' AND state = 'queued' AND payload->>'email_id' = NEW.id::text
      AND run_at IS DISTINCT FROM NEW.send_after;
    RETURN NULL;
END $$;
CREATE TRIGGER emails_reschedule_job AFTER UPDATE OF send_after ON emails
    FOR EACH ROW WHEN (NEW.state = 'queued' AND NEW.send_after IS DISTINCT FROM OLD.send_after)
    EXECUTE FUNCTION email_job_reschedule();

CREATE INDEX jobs_email_idx ON jobs ((payload->>'email_id')) WHERE kind = 'send_email';

-- the emails already waiting get their jobs
INSERT INTO jobs (kind, order_id, payload, max_attempts, run_at)
SELECT 'send_email', order_id, jsonb_build_object('email_id', id), 8, send_after
FROM emails WHERE state = 'queued';
