-- API tokens for automation (a CI job importing scans). The token itself is shown once and
-- never stored: only its SHA-256 (token_hash), which is enough because the token is 256
-- random bits (no guessing or precomputation to slow down, unlike a password).
-- projects: comma-separated slugs; scopes: comma-separated actions (scans:write).
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    token_hash BLOB NOT NULL UNIQUE,
    name TEXT NOT NULL,
    projects TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER,
    last_used_at INTEGER
);
