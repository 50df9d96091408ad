-- Search tokens ordered by when their report arrived: the key is now (token, received_at,
-- report_id), so a new report's entries go at the end of each of its tokens' ranges in the
-- index, on pages that the reports before it have just written, instead of at a random place
-- in each range (0022 ordered them by report id, and every report dirtied a page of its own
-- per token). What the table reveals is unchanged but for when each report arrived, which
-- `reports` holds in the clear already.
CREATE TABLE search_tokens_by_time (
    token BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    report_id TEXT NOT NULL REFERENCES reports (id),
    PRIMARY KEY (token, received_at, report_id)
);
INSERT INTO search_tokens_by_time (token, received_at, report_id)
    SELECT s.token, r.received_at, s.report_id
    FROM search_tokens s JOIN reports r ON r.id = s.report_id
    ORDER BY s.token, r.received_at, s.report_id;
DROP TABLE search_tokens;
ALTER TABLE search_tokens_by_time RENAME TO search_tokens;
ALTER TABLE search_tokens RENAME CONSTRAINT search_tokens_by_time_pkey TO search_tokens_pkey;
-- Erasure removes a report's tokens.
CREATE INDEX search_tokens_report ON search_tokens (report_id);
