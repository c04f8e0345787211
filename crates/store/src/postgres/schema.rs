//! The database schema, created and migrated by the server at open.
//!
//! Migrations are SQL files of this crate, numbered from 1 and applied in order, each recorded in
//! `schema_migrations`. All pending ones run in one transaction under an advisory lock, so that
//! nodes starting together on a new database migrate it once, and a failed migration leaves the
//! schema as it was. A database migrated by a newer Keyward is refused rather than used.

use tokio_postgres::Client;

use super::database::backend;
use crate::{StoreError, StoreResult};

/// The migrations, in order: (version, description, SQL).
const MIGRATIONS: &[(i32, &str, &str)] = &[
    (1, "initial schema", include_str!("migrations/0001_initial.sql")),
    (2, "the keyring, wrapped by the KEK", include_str!("migrations/0002_keyring.sql")),
    (3, "the nodes' leases on their caches", include_str!("migrations/0003_nodes.sql")),
    (4, "the cluster's order of commits", include_str!("migrations/0004_commit_order.sql")),
    (5, "the keyring's data key generations", include_str!("migrations/0005_keyring_generations.sql")),
];

/// The advisory lock held while migrating: an arbitrary constant ("KEYWARD" in ASCII).
const MIGRATION_LOCK: i64 = 0x004B_4559_5741_5244;

/// The schema version this build writes.
pub(super) fn latest() -> i32 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

/// Brings the schema up to [`latest`]; returns the versions applied.
pub(super) async fn migrate(client: &mut Client) -> StoreResult<Vec<i32>> {
    let tx = client.transaction().await.map_err(|e| backend("migrating", &e))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await.map_err(|e| backend("migrating", &e))?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version integer PRIMARY KEY,
            description text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        )",
    )
    .await
    .map_err(|e| backend("migrating", &e))?;
    let row = tx
        .query_one("SELECT coalesce(max(version), 0) FROM schema_migrations", &[])
        .await
        .map_err(|e| backend("migrating", &e))?;
    let current: i32 = row.get(0);
    if current > latest() {
        return Err(StoreError::Backend(format!(
            "the database's schema is version {current}, newer than this server's ({}): upgrade Keyward",
            latest()
        )));
    }
    let mut applied = Vec::new();
    for (version, description, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        tx.batch_execute(sql).await.map_err(|e| backend(&format!("migration {version}"), &e))?;
        tx.execute("INSERT INTO schema_migrations (version, description) VALUES ($1, $2)", &[version, description])
            .await
            .map_err(|e| backend("migrating", &e))?;
        applied.push(*version);
    }
    tx.commit().await.map_err(|e| backend("migrating", &e))?;
    Ok(applied)
}
