-- 0003_tokens (sqlite): Venafi OAuth grants. Tokens are never stored, only
-- the hex SHA-256 of each; a row is one access token and the refresh token
-- issued with it. Times are Unix milliseconds. Revoking or refreshing deletes
-- the row, so a refresh token works once.
CREATE TABLE venafi_tokens (
    access_hash TEXT PRIMARY KEY,
    refresh_hash TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL,
    username TEXT NOT NULL,
    identity TEXT NOT NULL,
    scope TEXT NOT NULL,
    issued_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL,
    refresh_until_ms BIGINT NOT NULL
);
CREATE INDEX venafi_tokens_refresh_until ON venafi_tokens (refresh_until_ms);
