-- serialhub ledger schema, version 1: events, the deduplication and history indexes, the
-- current state of every identifier, and the exceptions the ledger found.
--
-- Every key column is `COLLATE "C"`: `Store::children` promises Rust's bytewise `String`
-- order, and C collation also lets the primary key serve prefix ranges (the lot records of a
-- GTIN, loaded at capture).
--
-- Citus (scale-out), for a later migration: the distribution keys would be
--   events        hash_id, or kept local as a time-partitioned append table (it is only ever
--                 read by (seq, captured_at) through event_keys);
--   event_hashes  hash_id (deduplication is a point lookup by it);
--   event_keys    key (history is a point lookup by it);
--   states        key, with children-by-parent a cross-shard query: a deployment would
--                 co-locate a container with its contents by distributing on the GS1 company
--                 prefix part of the key, so that a case and its packs (same brand owner) hash to
--                 one shard;
--   exceptions    reference or local table (small, filtered by type and key).

-- Capture order across the store; the store allocates a block per job under its write lock.
CREATE SEQUENCE event_seq AS bigint;

-- One row per stored event; `body` is a one-event EPCIS 2.0 JSON-LD document, which the
-- standard reader reads back to an equal event. Monthly partitions by capture time are created
-- by the store before it inserts; DEFAULT catches anything outside them.
CREATE TABLE events (
    seq bigint NOT NULL,
    hash_id text COLLATE "C" NOT NULL,
    captured_at timestamptz NOT NULL,
    event_time timestamptz,
    body text NOT NULL,
    PRIMARY KEY (seq, captured_at)
) PARTITION BY RANGE (captured_at);

CREATE TABLE events_default PARTITION OF events DEFAULT;

-- Deduplication by CBV 2.0 event hash ID; also where `has_event` looks.
CREATE TABLE event_hashes (
    hash_id text COLLATE "C" PRIMARY KEY,
    seq bigint NOT NULL
);

-- The history index: every key an event names. `captured_at` lets a history read prune
-- `events` to the one partition holding each row.
CREATE TABLE event_keys (
    key text COLLATE "C" NOT NULL,
    seq bigint NOT NULL,
    captured_at timestamptz NOT NULL,
    PRIMARY KEY (key, seq)
);

-- The ledger's current record per identifier, encoded by `serialhub_store::codec`; `parent`
-- repeats the record's container so that children can be found without decoding.
CREATE TABLE states (
    key text COLLATE "C" PRIMARY KEY,
    parent text COLLATE "C",
    state bytea NOT NULL
);

CREATE INDEX states_parent ON states (parent, key) WHERE parent IS NOT NULL;

-- Violations stored as exceptions; `keys` holds the canonical key of each of `epcs`, so a
-- filter by identifier matches any spelling of it.
CREATE TABLE exceptions (
    id bigserial PRIMARY KEY,
    event_seq bigint NOT NULL,
    event_hash_id text NOT NULL,
    type text NOT NULL,
    code text NOT NULL,
    message text NOT NULL,
    epcs text[] NOT NULL,
    event_ids text[] NOT NULL,
    keys text[] NOT NULL
);

CREATE INDEX exceptions_type ON exceptions (type, event_seq, id);
CREATE INDEX exceptions_keys ON exceptions USING gin (keys);
