-- The embargo: when a ready advisory publishes itself. NULL when not scheduled. Kept in the
-- database, so a restart loses no schedule.
ALTER TABLE advisories ADD COLUMN publish_at INTEGER;
CREATE INDEX advisories_due ON advisories (publish_at);
