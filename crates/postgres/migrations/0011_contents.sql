-- 0011: containment in a table of its own, so that no change of a record touches an index.
--
-- `states_parent` indexed the column that packing and unpacking change, so every such change
-- was a full update (a new row version and an entry in each of the three indexes of `states`)
-- rather than a HOT one (the new version on the same page, no index entry). At a million packs
-- half of the 2.1 M record updates were full ones, and the update was two thirds of the
-- server's time. Measured on that store's rows: 200,000 updates took 4.9 to 5.6 s when they
-- changed no indexed column and 13.0 to 14.1 s when they changed `parent`.
--
-- `contents` holds one row per record in a container: a packing inserts one, an unpacking
-- deletes one, and the records' updates leave every index alone (`lot_key` and `key` never
-- change). `states.parent` stays, unindexed, for walking up (a record's container is read with
-- the record). Invariant (the writer keeps it; tests check it): the rows of `contents` are
-- exactly the `(parent, key)` of the records with a parent.
-- Upgrade with every writer stopped: an older build writes `parent` without `contents`. The
-- lock below keeps a writer that is still running from committing between the backfill and
-- the end of the migration.
-- Citus: `contents` would be distributed by the company prefix of `child`, co-located with
-- `states`; reading a container's contents is then a query to every shard.
LOCK TABLE states IN SHARE MODE;

CREATE TABLE contents (
    parent text COLLATE "C" NOT NULL,
    child text COLLATE "C" NOT NULL,
    PRIMARY KEY (parent, child)
);

INSERT INTO contents (parent, child) SELECT parent, key FROM states WHERE parent IS NOT NULL;

DROP INDEX states_parent;
