-- 0010: the history of an identifier with a record is kept in its record's row. `history`
-- holds, in order, the seq of every event that named the identifier in a capture job after
-- which it had a record. A job writes each identifier it changes once anyway (`states`), so
-- this takes the history rows of those identifiers out of `event_keys`, which was the largest
-- table a job wrote (4.4 M rows at a million packs, a random B-tree insert each). `event_keys`
-- keeps the rest: identifiers named without a record (a finding about an unknown code), named
-- without a change, or whose record a job removed (its row's history moves there first), and
-- every row written before this migration. A history read is the union of both, by seq.
-- Citus: `history` travels with `states` (distributed by key).
ALTER TABLE states ADD COLUMN history bigint[] NOT NULL DEFAULT '{}';
