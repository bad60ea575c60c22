-- 0004: the EPCIS eventID of each event, for `GET /epcis/events/{eventID}` and `EQ_eventID`.
--
-- Nullable (EPCIS 2.0 keeps eventID optional; events stored before this migration have none
-- here and are found by hash ID) and not unique: an error declaration repeats the eventID of
-- the event it declares in error. The index is partial, as most events of a bulk import from a
-- packaging line carry no eventID. Citus: a local index on each shard of `events`.
ALTER TABLE events ADD COLUMN event_id text COLLATE "C";
CREATE INDEX events_event_id ON events (event_id) WHERE event_id IS NOT NULL;
