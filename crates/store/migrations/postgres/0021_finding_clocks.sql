-- Findings run the policy's fix deadlines like reports (issue 16). finding_clocks: how far
-- each project's reminders and escalations have been handled (unix ms), so that the periodic
-- look sends each reminder once, whichever instance looks; a look commits only if the row
-- still holds what it read.
CREATE TABLE finding_clocks (
    project TEXT PRIMARY KEY NOT NULL,
    handled_until BIGINT NOT NULL
);
-- The advisory drafted from a finding (the project ships the vulnerable dependency), or NULL.
ALTER TABLE findings ADD COLUMN advisory_id TEXT;
-- The periodic look reads a project's open findings by deadline and its accepted risks by
-- expiry.
CREATE INDEX findings_project_until ON findings (project, state, decided_until);
