-- Per-project webhooks (Slack, Discord, or generic JSON signed the Standard Webhooks way).
-- The address and the signing secret are secrets (a Slack or Discord URL is a bearer
-- credential): they are sealed together, wrapped by the master key like TOTP secrets and
-- re-wrapped by `postern key rotate` (key_id). Plain: the project, the kind, the events.
-- events: comma-separated names (new_report, reporter_message, case_update).
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY NOT NULL,
    project TEXT NOT NULL,
    kind TEXT NOT NULL,
    events TEXT NOT NULL,
    key_id TEXT NOT NULL,
    sealed BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX webhooks_project ON webhooks (project);
