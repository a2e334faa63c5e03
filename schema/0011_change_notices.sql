-- 0011_change_notices.sql: tell the app's workers what a transaction changed,
-- so that they keep answers and principals in memory only while nothing they
-- depend on moved (README "What workers keep in memory").
--   * pg_notify('lafete_changed', <what>): at the commit, to every host's
--     listener (src/listener.c); repeats in one transaction fold into one.
--   * RAISE DEBUG 'lafete_changed <what>': to the writing session itself, with
--     the statement's answer, so that the writer's own host invalidates right
--     after its commit without waiting for the notification's delivery. DEBUG:
--     only sessions that ask for it (the app's: client_min_messages = debug1)
--     receive it, and the server's log keeps it out at its default level.
-- <what> is 'catalog' (products, variants) or 'users' (what a bearer token's
-- principal is read from: role, name, email, deletion, revocation).
CREATE FUNCTION lafete_changed(what text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('lafete_changed', what);
    RAISE DEBUG 'lafete_changed %', what;
END $$;

CREATE OR REPLACE FUNCTION catalog_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE catalog_version SET version = version + 1;
    PERFORM lafete_changed('catalog');
    RETURN NULL;
END $$;

CREATE FUNCTION users_principal_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM lafete_changed('users');
    RETURN NULL;
END $$;

CREATE TRIGGER users_principal_update AFTER UPDATE ON users FOR EACH ROW
    WHEN (OLD.role IS DISTINCT FROM NEW.role OR OLD.name IS DISTINCT FROM NEW.name
          OR OLD.email IS DISTINCT FROM NEW.email OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at
          OR OLD.tokens_valid_after IS DISTINCT FROM NEW.tokens_valid_after)
    EXECUTE FUNCTION users_principal_changed();
CREATE TRIGGER users_principal_delete AFTER DELETE ON users FOR EACH ROW
    EXECUTE FUNCTION users_principal_changed();
CREATE TRIGGER users_principal_truncate AFTER TRUNCATE ON users FOR EACH STATEMENT
    EXECUTE FUNCTION users_principal_changed();
