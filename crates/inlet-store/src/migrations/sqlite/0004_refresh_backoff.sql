-- A failed scheduled schema refresh is not retried before this time, so a
-- broken source neither hammers itself nor starves the others.
ALTER TABLE connections ADD COLUMN schema_refresh_after INTEGER;
