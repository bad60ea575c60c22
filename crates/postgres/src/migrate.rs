//! Embedded schema migrations: an ordered list of SQL scripts compiled into the binary, applied
//! at connect in one transaction, each recorded in `schema_migrations` so that connecting again
//! applies nothing.

use postgres::Client;

use crate::PgError;

/// Every migration, in order: `(version, SQL)`. Versions start at 1 and have no gaps; a
/// migration, once released, is never edited (add the next one instead).
pub(crate) const MIGRATIONS: &[(i32, &str)] = &[
    (1, include_str!("../migrations/0001_ledger.sql")),
    (2, include_str!("../migrations/0002_lots_and_capture_times.sql")),
    (3, include_str!("../migrations/0003_writer_generation.sql")),
    (4, include_str!("../migrations/0004_event_ids.sql")),
    (5, include_str!("../migrations/0005_captured_by.sql")),
    (6, include_str!("../migrations/0006_known_values_and_master_data.sql")),
    (7, include_str!("../migrations/0007_outbox.sql")),
    (8, include_str!("../migrations/0008_audit_log.sql")),
    (9, include_str!("../migrations/0009_compressed_bodies.sql")),
    (10, include_str!("../migrations/0010_history_in_records.sql")),
    (11, include_str!("../migrations/0011_contents.sql")),
];

/// Applies the migrations the database lacks, under an advisory lock so that two processes
/// connecting at once do not both apply them; returns the versions applied.
pub(crate) fn migrate(client: &mut Client, lock: (i32, i32)) -> Result<Vec<i32>, PgError> {
    let mut tx = client.transaction().map_err(PgError::Migrate)?;
    tx.execute("SELECT pg_advisory_xact_lock($1, $2)", &[&lock.0, &lock.1])
        .map_err(PgError::Migrate)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version int PRIMARY KEY,
             applied_at timestamptz NOT NULL DEFAULT now()
         )",
    )
    .map_err(PgError::Migrate)?;
    let rows = tx.query("SELECT version FROM schema_migrations", &[]).map_err(PgError::Migrate)?;
    let present: Vec<i32> = rows.iter().map(|row| row.get(0)).collect();
    let known = MIGRATIONS.last().map_or(0, |(version, _)| *version);
    if let Some(&newer) = present.iter().filter(|v| **v > known).max() {
        return Err(PgError::NewerSchema { found: newer, known });
    }
    let mut applied = Vec::new();
    for (version, sql) in MIGRATIONS {
        if present.contains(version) {
            continue;
        }
        tx.batch_execute(sql).map_err(|source| PgError::Migration { version: *version, source })?;
        tx.execute("INSERT INTO schema_migrations (version) VALUES ($1)", &[version])
            .map_err(PgError::Migrate)?;
        applied.push(*version);
    }
    tx.commit().map_err(PgError::Migrate)?;
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::MIGRATIONS;

    #[test]
    fn versions_start_at_one_without_gaps() {
        for (index, (version, sql)) in MIGRATIONS.iter().enumerate() {
            assert_eq!(*version as usize, index + 1);
            assert!(!sql.trim().is_empty(), "migration {version} is empty");
        }
    }
}
