-- 0008: the audit log of actions on exceptions (`serialhub_store::audit`): append-only and
-- hash-chained. Entries are appended under a transaction-scoped advisory lock, so the chain is
-- one line across nodes; the trigger refuses UPDATE, DELETE and TRUNCATE, so editing it
-- takes a role that may disable or drop the trigger (the table's owner, or a superuser), and
-- the chain then shows where (`serialhub_store::audit::verify`, `GET /api/audit`).
CREATE TABLE audit_log (
    seq bigint PRIMARY KEY,
    prev_hash text NOT NULL,
    hash text NOT NULL,
    at timestamptz NOT NULL,
    actor text NOT NULL,
    action text NOT NULL,
    targets text[] NOT NULL,
    reason text NOT NULL,
    before text NOT NULL,
    after text NOT NULL
);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
