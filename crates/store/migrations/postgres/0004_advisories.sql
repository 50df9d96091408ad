-- Advisories. The record (postern-core's Advisory as JSON) is sealed like a report, under its
-- own data key: a draft describes an unfixed vulnerability and is as secret as the report.
-- Plain: the id, project, the report it came from, times and severity, for lists and feeds.
CREATE TABLE advisories (
    id TEXT PRIMARY KEY NOT NULL,
    project TEXT NOT NULL,
    report_id TEXT REFERENCES reports (id),
    published_at BIGINT,
    modified_at BIGINT NOT NULL,
    severity TEXT,
    key_id TEXT NOT NULL,
    wrapped_key BYTEA NOT NULL,
    content BYTEA NOT NULL
);
CREATE INDEX advisories_published ON advisories (published_at, id);
CREATE INDEX advisories_project ON advisories (project, published_at);
