-- Due jobs by kind, in time order (the SQLite claim reads each kind of its lane on its own; the
-- same index here keeps the two schemas alike and serves `kind IN (...)` with a state).
CREATE INDEX jobs_due_kind ON jobs (state, kind, run_at);
