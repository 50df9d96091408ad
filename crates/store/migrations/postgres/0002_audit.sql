-- The append-only audit log, hash-chained (see postern-core's audit module). Events name who
-- did what to which report and why; never report contents.
CREATE TABLE audit_events (
    seq BIGINT PRIMARY KEY NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    report_id TEXT,
    detail TEXT NOT NULL,
    hash BYTEA NOT NULL
);
CREATE INDEX audit_events_report ON audit_events (report_id, seq);
