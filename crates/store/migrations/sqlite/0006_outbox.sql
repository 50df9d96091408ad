-- The outbox: work owed to the outside world (mail to the team and the reporter), written in
-- the same transaction as its cause, so that nothing committed is missed and nothing rolled
-- back is sent. The payload names the report by id and never holds report contents or the
-- reporter's address: the worker reads and decrypts what it needs when it sends.
-- state: 'pending' (due at run_at), 'running' (leased to locked_by until locked_until),
-- 'done', 'dead' (gave up after max_attempts, or a permanent failure; `postern jobs retry`).
-- dedupe_key is unique: enqueueing the same work twice is harmless.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    project TEXT NOT NULL,
    report_id TEXT,
    payload TEXT NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE,
    run_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    locked_by TEXT,
    locked_until INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    done_at INTEGER
);
CREATE INDEX jobs_due ON jobs (state, run_at);
CREATE INDEX jobs_report ON jobs (report_id, state);
