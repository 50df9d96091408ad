-- Privacy by design (issue 17). A report's contact and credit are sealed under a key of their
-- own (`contact_wrapped_key`, wrapped by the keyring with associated data naming the report and
-- "contact"), apart from its contents, so that the contact can be erased while the report
-- stays. NULL in rows stored before this migration: their contact is still inside `content`,
-- and erasing it seals `content` again without it.
-- Erasing destroys keys: `contact_*` set to NULL, or the contents' data key replaced by a new
-- one that seals only an empty placeholder (the old key exists nowhere after the commit);
-- `*_erased_at` says when. A legal hold (`hold_until`, `hold_reason`) stops retention and
-- erasure until it expires.
ALTER TABLE reports ADD COLUMN contact_key_id TEXT;
ALTER TABLE reports ADD COLUMN contact_wrapped_key BLOB;
ALTER TABLE reports ADD COLUMN contact BLOB;
ALTER TABLE reports ADD COLUMN contact_erased_at INTEGER;
ALTER TABLE reports ADD COLUMN contents_erased_at INTEGER;
ALTER TABLE reports ADD COLUMN hold_until INTEGER;
ALTER TABLE reports ADD COLUMN hold_reason TEXT;
CREATE INDEX reports_contact_key_id ON reports (contact_key_id);

-- A reporter's request to erase their data, and the team's answer. A refusal's reason is a
-- sealed message in the conversation; this row holds only what, times and the state.
CREATE TABLE erasure_requests (
    id TEXT PRIMARY KEY NOT NULL,
    report_id TEXT NOT NULL REFERENCES reports (id),
    what TEXT NOT NULL,
    asked_at INTEGER NOT NULL,
    state TEXT NOT NULL,
    decided_at INTEGER,
    decided_by TEXT
);
CREATE INDEX erasure_requests_report ON erasure_requests (report_id, asked_at);
CREATE INDEX erasure_requests_state ON erasure_requests (state, asked_at);
-- At most one open request per report.
CREATE UNIQUE INDEX erasure_requests_open ON erasure_requests (report_id) WHERE state = 'open';
