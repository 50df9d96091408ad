-- OpenPGP (issue 13). A project's keys: several over time, one current (the newest not
-- retired); rotation retires the current one, which stays to decrypt what was sent to it.
-- The public key is public (served by WKD); the secret key is sealed by the master key
-- (key_id, sealed; associated data names the fingerprint) and re-wrapped by `postern key rotate`.
CREATE TABLE openpgp_project_keys (
    fingerprint TEXT PRIMARY KEY NOT NULL,
    project TEXT NOT NULL,
    public_key BYTEA NOT NULL,
    key_id TEXT NOT NULL,
    sealed BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    retired_at BIGINT
);
CREATE INDEX openpgp_project_keys_project ON openpgp_project_keys (project, created_at);

-- A team member's own public key (one at most), for mail encrypted to them. Public, but
-- personal: removed with the member's choice.
CREATE TABLE openpgp_member_keys (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users (id),
    fingerprint TEXT NOT NULL,
    public_key BYTEA NOT NULL,
    expires_at BIGINT,
    created_at BIGINT NOT NULL
);

-- A report that arrived as an OpenPGP message: decrypted (with which project key, and what
-- its signature said), or kept sealed as it came because it could not be decrypted (the
-- ciphertext is then one of the report's sealed attachments). detail: words for the team, no
-- secret. The reporter's public key, when they gave one, is sealed by the master key
-- (reporter_key_id, reporter_key; associated data names the report) and removed when the
-- reporter's contact is erased.
CREATE TABLE report_openpgp (
    report_id TEXT PRIMARY KEY NOT NULL REFERENCES reports (id),
    state TEXT NOT NULL,
    decrypted_with TEXT,
    signature TEXT NOT NULL,
    signer TEXT,
    detail TEXT NOT NULL,
    reporter_fingerprint TEXT,
    reporter_key_id TEXT,
    reporter_key BYTEA
);
