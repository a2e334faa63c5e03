-- 0010_catalog_version.sql: the catalog's version, bumped by every transaction that
-- writes products or variants (whoever makes it: the API, the admin pages, psql).
-- Workers keep the public catalog's answers stamped with it and read it on each
-- request, so a write is seen on the next request by every worker.
CREATE TABLE catalog_version (
    one      boolean PRIMARY KEY DEFAULT true CHECK (one),
    version  bigint NOT NULL DEFAULT 1
);
INSERT INTO catalog_version DEFAULT VALUES;

CREATE FUNCTION catalog_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE catalog_version SET version = version + 1;
    RETURN NULL;
END $$;

-- Deferred to the commit: the version row is the last lock a writer takes, so two
-- writers never wait for each other's locks in opposite orders.
CREATE CONSTRAINT TRIGGER products_bump_catalog AFTER INSERT OR UPDATE OR DELETE ON products
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION catalog_version_bump();
CREATE CONSTRAINT TRIGGER variants_bump_catalog AFTER INSERT OR UPDATE OR DELETE ON variants
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION catalog_version_bump();
CREATE TRIGGER products_truncate_bumps_catalog AFTER TRUNCATE ON products
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_version_bump();
CREATE TRIGGER variants_truncate_bumps_catalog AFTER TRUNCATE ON variants
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_version_bump();
