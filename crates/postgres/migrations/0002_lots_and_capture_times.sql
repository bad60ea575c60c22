-- 0002: lot queries and exception capture times.
-- `lot_key` is the key of the lot a unit was commissioned with (serialhub_core::lot_key_of),
-- written beside the encoded state so that "every serial of a lot" is an index range
-- (Citus: co-located with `states` by `key`, so a lot query fans out to every shard; a
-- deployment sharding by company prefix keeps one GTIN's lots on one shard).
ALTER TABLE states ADD COLUMN lot_key text COLLATE "C";
CREATE INDEX states_lot ON states (lot_key, key) WHERE lot_key IS NOT NULL;
-- When the capture job that raised each exception ran (the events' `captured_at`).
ALTER TABLE exceptions ADD COLUMN captured_at timestamptz;
CREATE INDEX exceptions_captured_at ON exceptions (captured_at);
