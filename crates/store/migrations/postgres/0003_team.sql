-- The team's side of a report: triage state, the clocks (times only, as JSON), and a
-- denormalised next deadline so the work queue is one index range. No report contents.
ALTER TABLE reports ADD COLUMN severity TEXT;
ALTER TABLE reports ADD COLUMN case_record TEXT NOT NULL DEFAULT '{}';
ALTER TABLE reports ADD COLUMN clocks TEXT NOT NULL DEFAULT '[]';
-- 9223372036854775807 (i64::MAX) when no clock runs, so that the queue order needs no NULLs.
ALTER TABLE reports ADD COLUMN next_due_at BIGINT NOT NULL DEFAULT 9223372036854775807;
ALTER TABLE reports ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
CREATE INDEX reports_queue ON reports (next_due_at, id);
CREATE INDEX reports_project_queue ON reports (project, next_due_at, id);

-- Keyed similarity fingerprints (postern-core similarity) for duplicate suggestions: they
-- reveal nothing without the key. A table of their own keeps them compact, so that a report
-- page reads a project's newest fingerprints from a few pages.
CREATE TABLE fingerprints (
    report_id TEXT PRIMARY KEY NOT NULL REFERENCES reports (id),
    project TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    print BYTEA NOT NULL
);
CREATE INDEX fingerprints_project ON fingerprints (project, received_at);

-- Internal notes: the reporter never sees them. Bodies sealed like messages.
CREATE TABLE notes (
    id TEXT PRIMARY KEY NOT NULL,
    report_id TEXT NOT NULL REFERENCES reports (id),
    author TEXT NOT NULL,
    at BIGINT NOT NULL,
    body BYTEA NOT NULL
);
CREATE INDEX notes_report ON notes (report_id, at);

-- Team accounts. projects: comma-separated slugs, empty for every project.
-- The TOTP secret is wrapped by the master key like a report's data key.
CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    projects TEXT NOT NULL DEFAULT '',
    password_hash TEXT,
    totp_key_id TEXT,
    totp_secret BYTEA,
    totp_last_step BIGINT,
    recovery_codes TEXT NOT NULL DEFAULT '',
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    disabled BIGINT NOT NULL DEFAULT 0
);

-- One-time setup links; only a hash of the token is kept.
CREATE TABLE setup_tokens (
    token_hash BYTEA PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    expires_at BIGINT NOT NULL,
    used BIGINT NOT NULL DEFAULT 0
);

-- Server-side sessions; only a hash of the cookie's token is kept.
-- stage: 'password' (second factor pending), 'enrol' (must set up TOTP), 'full'.
CREATE TABLE sessions (
    id_hash BYTEA PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    stage TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Failed sign-ins per client address, shared by every instance on the database.
CREATE TABLE login_throttle (
    client TEXT PRIMARY KEY NOT NULL,
    window_start BIGINT NOT NULL,
    failures BIGINT NOT NULL
);
