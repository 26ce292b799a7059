-- When a connection's schedule (config `schedule`/`timezone`, or
-- `continuous`) next queues a sync, in ms since the epoch; NULL without one.
-- The node that moves it forward with a conditional UPDATE fires the run.
ALTER TABLE connections ADD COLUMN next_sync_at INTEGER;
CREATE INDEX connections_next_sync ON connections (next_sync_at) WHERE next_sync_at IS NOT NULL;
