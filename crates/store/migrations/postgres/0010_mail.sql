-- The email channel. `reports.channel` says how a report arrived (web-form, api, email, ...).
-- Every message taken from the mailbox is one `inbound_mail` row: what became of it (`state`:
-- report, reply, screening, filed, discarded) and why it waits for a person (`reason`).
-- Its summary (sender, subject, text; `content`) and the raw message (`raw`) are sealed under the row's own data
-- key, wrapped by the keyring like a report's; `dedupe` (an HMAC of the Message-ID and a hash
-- of the raw bytes) recognises a message fetched again after a crash, and `sender_mac` (an
-- HMAC of the sender's address) counts a sender's mail without storing the address.
ALTER TABLE reports ADD COLUMN channel TEXT NOT NULL DEFAULT 'web-form';

CREATE TABLE inbound_mail (
    id TEXT PRIMARY KEY NOT NULL,
    dedupe BYTEA NOT NULL UNIQUE,
    project TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT NOT NULL,
    report_id TEXT REFERENCES reports (id),
    sender_mac BYTEA,
    key_id TEXT NOT NULL,
    wrapped_key BYTEA NOT NULL,
    content BYTEA NOT NULL,
    raw BYTEA NOT NULL,
    decided_by TEXT,
    decided_at BIGINT
);
CREATE INDEX inbound_mail_state ON inbound_mail (state, received_at);
CREATE INDEX inbound_mail_sender ON inbound_mail (sender_mac, received_at);
CREATE INDEX inbound_mail_report ON inbound_mail (report_id);
CREATE INDEX inbound_mail_key_id ON inbound_mail (key_id);
