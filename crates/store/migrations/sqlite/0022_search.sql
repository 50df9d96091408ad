-- Search over sealed reports: a report's words (core::search::index_terms) kept only as keyed
-- tokens, the first 8 bytes of HMAC-SHA256 under a key derived from the keyring, as a signed
-- 64-bit integer. Without the keyring a token names no word; with the table alone one sees
-- which reports share a word and how many words each has (see ARCHITECTURE.md).
-- Clustered by token: a search reads one range per word.
CREATE TABLE search_tokens (
    token INTEGER NOT NULL,
    report_id TEXT NOT NULL REFERENCES reports (id),
    PRIMARY KEY (token, report_id)
) WITHOUT ROWID;
-- Erasure removes a report's tokens.
CREATE INDEX search_tokens_report ON search_tokens (report_id);
-- Reports written from now on are indexed with their row (1); those already here (0) are
-- indexed once in the background when serve starts.
ALTER TABLE reports ADD COLUMN search_indexed INTEGER NOT NULL DEFAULT 1;
UPDATE reports SET search_indexed = 0;
CREATE INDEX reports_search_unindexed ON reports (id) WHERE search_indexed = 0;
