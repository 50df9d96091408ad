-- A reporter's proposed disclosure date and the team's answer, on the record. The reporter's
-- reason is a sealed message in the conversation; this row holds only times and the state.
CREATE TABLE disclosure_requests (
    id TEXT PRIMARY KEY NOT NULL,
    report_id TEXT NOT NULL REFERENCES reports (id),
    asked_at BIGINT NOT NULL,
    asked_for BIGINT NOT NULL,
    state TEXT NOT NULL,
    decided_at BIGINT,
    decided_by TEXT
);
CREATE INDEX disclosure_requests_report ON disclosure_requests (report_id, asked_at);
-- At most one open request per report.
CREATE UNIQUE INDEX disclosure_requests_open ON disclosure_requests (report_id) WHERE state = 'open';
-- The disclosure date agreed with the reporter, when one was agreed.
ALTER TABLE reports ADD COLUMN disclosure_at BIGINT;
