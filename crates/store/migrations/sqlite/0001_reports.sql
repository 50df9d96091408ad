-- Reports, their conversation and attachments. Contents are ciphertexts (see src/vault.rs):
-- only ids, the project, the status and times are plain, so a copy of this file reveals no report.
CREATE TABLE reports (
    id TEXT PRIMARY KEY NOT NULL,
    project TEXT NOT NULL,
    case_key_hash BLOB NOT NULL UNIQUE,
    status TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    key_id TEXT NOT NULL,
    wrapped_key BLOB NOT NULL,
    content BLOB NOT NULL
);
CREATE INDEX reports_project_received ON reports (project, received_at);
CREATE INDEX reports_key_id ON reports (key_id);

CREATE TABLE messages (
    id TEXT PRIMARY KEY NOT NULL,
    report_id TEXT NOT NULL REFERENCES reports (id),
    author TEXT NOT NULL,
    at INTEGER NOT NULL,
    body BLOB NOT NULL
);
CREATE INDEX messages_report ON messages (report_id, at);

CREATE TABLE attachments (
    id TEXT PRIMARY KEY NOT NULL,
    report_id TEXT NOT NULL REFERENCES reports (id),
    at INTEGER NOT NULL,
    ordinal INTEGER NOT NULL,
    meta BLOB NOT NULL,
    content BLOB NOT NULL
);
CREATE INDEX attachments_report ON attachments (report_id, at, ordinal);
