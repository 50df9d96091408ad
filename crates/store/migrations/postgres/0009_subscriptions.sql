-- Email subscriptions to a project's advisories, and its early-access list.
-- Addresses are personal data: each is sealed under the master key (bound to its row's id, and
-- re-wrapped by key rotation), and found by `email_mac`, an HMAC of the address under a key
-- derived from the keyring, so neither the database nor a copy of it shows an address.
-- Tokens are never stored: `confirm_hash` and `unsubscribe_hash` are SHA-256 of tokens that
-- the server derives from the row (HMAC under the keyring), so the mailer can put them in a
-- mail without any job holding them. `confirm_hash` is NULL once confirmed.
CREATE TABLE subscribers (
    id TEXT PRIMARY KEY NOT NULL,
    project TEXT NOT NULL,
    email_mac BYTEA NOT NULL,
    key_id TEXT NOT NULL,
    sealed_email BYTEA NOT NULL,
    confirm_hash BYTEA,
    confirm_expires_at BIGINT,
    requested_at BIGINT NOT NULL,
    confirmed_at BIGINT,
    unsubscribe_hash BYTEA NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    UNIQUE (project, email_mac)
);
CREATE INDEX subscribers_confirm ON subscribers (confirm_hash);
CREATE INDEX subscribers_confirmed ON subscribers (project, confirmed_at);

-- Who receives an embargoed advisory before publication (`postern early-access add`): the
-- address and a name, sealed together like a subscriber's address.
CREATE TABLE early_access (
    id TEXT PRIMARY KEY NOT NULL,
    project TEXT NOT NULL,
    email_mac BYTEA NOT NULL,
    key_id TEXT NOT NULL,
    sealed BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (project, email_mac)
);
