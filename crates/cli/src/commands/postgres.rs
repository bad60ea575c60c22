//! `--postgres URL`: the PostgreSQL store.

use serialhub_store::Store;

/// Opens the PostgreSQL store at `url`.
pub(crate) fn open(url: &str) -> anyhow::Result<Box<dyn Store>> {
    // FIXME(issue 4): the PostgreSQL backend is not built yet.
    anyhow::bail!("--postgres {url}: the PostgreSQL store is not available in this build yet")
}
