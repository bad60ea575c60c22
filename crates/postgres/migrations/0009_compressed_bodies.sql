-- 0009: events are stored compressed. `body_lz4` holds the same one-event JSON-LD document as
-- `body`, LZ4-compressed with its length prepended (`serialhub_store::stored_body`, the form
-- the embedded journal keeps): the capture path already has it, so the writer no longer
-- serialises every event again, and the rows, their WAL and the page cache they take are about
-- a third of the size. Rows written before this migration keep `body`; every row has one of
-- the two. The column is already compressed, so the server must not try again (EXTERNAL).
-- The check is NOT VALID: every older row has `body` (it was NOT NULL), so it need not scan
-- the table under an exclusive lock. Stop every serialhub process before migrating: builds
-- before this one read `body` as never NULL.
ALTER TABLE events ADD COLUMN body_lz4 bytea;
ALTER TABLE events ALTER COLUMN body_lz4 SET STORAGE EXTERNAL;
ALTER TABLE events ALTER COLUMN body DROP NOT NULL;
ALTER TABLE events ADD CONSTRAINT events_body_present
    CHECK (body IS NOT NULL OR body_lz4 IS NOT NULL) NOT VALID;
