-- The line a report is listed under (postern-core's report::title), sealed under the report's
-- own data key like its contents (associated data: the report id and "title"), so that a list
-- (the queue, duplicate suggestions, advisories, `report list`) opens a title and nothing else
-- of a report. NULL for reports stored before this column: completed in the background.
ALTER TABLE reports ADD COLUMN title BYTEA;
-- The closed reports and all reports, newest first.
CREATE INDEX reports_received ON reports (received_at);
