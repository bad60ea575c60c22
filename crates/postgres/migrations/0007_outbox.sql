-- 0007: the durable outbox (`serialhub_store::outbox`). A message caused by captured events is
-- inserted in the capture's transaction; dispatchers on any node claim due messages with
-- `FOR UPDATE SKIP LOCKED` under a lease, and settle them only while they hold it.
CREATE TABLE outbox (
    id bigserial PRIMARY KEY,
    connector text NOT NULL,
    destination text NOT NULL,
    idempotency_key text COLLATE "C" NOT NULL UNIQUE,
    ordering_key text COLLATE "C",
    payload bytea NOT NULL,
    event_seq bigint,
    created_at timestamptz NOT NULL,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    lease_owner text,
    lease_until timestamptz,
    last_error text,
    receipt text,
    settled_at timestamptz
);

-- What a claim reads: the pending messages, oldest first.
CREATE INDEX outbox_pending ON outbox (id) WHERE status = 'pending';
-- What the ordering rule reads: the pending messages of one ordering key.
CREATE INDEX outbox_pending_order ON outbox (ordering_key, id)
    WHERE status = 'pending' AND ordering_key IS NOT NULL;
