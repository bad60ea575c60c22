-- 0006: the values the REST binding's top-level resources list (`Store::known_values`), and
-- master data (`Store::put_master_data`).
--
-- `known_locations` holds each bizLocation (field 1) and readPoint (field 2) id once, as
-- captured; the identifiers (`KnownField::Epc`) are listed from `event_keys` directly.
CREATE TABLE known_locations (
    field smallint NOT NULL,
    value text COLLATE "C" NOT NULL,
    PRIMARY KEY (field, value)
);

-- The events stored before this migration.
INSERT INTO known_locations (field, value)
SELECT DISTINCT 1, body::jsonb #>> '{epcisBody,eventList,0,bizLocation,id}' FROM events
WHERE body::jsonb #>> '{epcisBody,eventList,0,bizLocation,id}' IS NOT NULL
ON CONFLICT DO NOTHING;
INSERT INTO known_locations (field, value)
SELECT DISTINCT 2, body::jsonb #>> '{epcisBody,eventList,0,readPoint,id}' FROM events
WHERE body::jsonb #>> '{epcisBody,eventList,0,readPoint,id}' IS NOT NULL
ON CONFLICT DO NOTHING;

-- One row per vocabulary element, merged by `serialhub_store::master::merge`; `element` is
-- the stored form of `serialhub_store::master` (a header-only JSON-LD document holding one
-- vocabulary with this one element).
CREATE TABLE master_data (
    vtype text COLLATE "C" NOT NULL,
    id text COLLATE "C" NOT NULL,
    element text NOT NULL,
    PRIMARY KEY (vtype, id)
);
