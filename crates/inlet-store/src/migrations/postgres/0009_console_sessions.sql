-- Web console sessions: the hash of the cookie's token, the hash of the
-- API key that signed in (the key itself is never kept), and the expiry.
CREATE TABLE console_sessions (
    token_hash  TEXT PRIMARY KEY,
    key_hash    TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);
