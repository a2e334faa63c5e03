-- 0008_token_revocation.sql: signing out revokes the tokens issued before it.
-- A token whose iat is earlier than tokens_valid_after is refused (auth.c).
ALTER TABLE users ADD COLUMN tokens_valid_after timestamptz;
