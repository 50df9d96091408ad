-- The team member a report is assigned to (their account's email address, as the audit log
-- names actors), or NULL; the queue's "mine" and "unassigned" filters read it.
ALTER TABLE reports ADD COLUMN assignee TEXT;
CREATE INDEX reports_assignee ON reports (assignee, next_due_at);
