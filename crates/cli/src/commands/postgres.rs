//! `--postgres URL`: the PostgreSQL store (`serialhub-postgres`); migrations run on connect.

use serialhub_store::Store;

/// Opens the PostgreSQL store at `url` (a libpq-style `host=... user=... dbname=...` string or
/// a `postgresql://` URL).
pub(crate) fn open(url: &str) -> anyhow::Result<Box<dyn Store>> {
    let store = serialhub_postgres::PgStore::connect(url)
        .map_err(|e| anyhow::anyhow!("--postgres: {e}"))?;
    Ok(Box::new(store))
}
