//! Backups of the postgres store (issue 13): any node writes a consistent backup of the whole
//! cluster's store, in the format of [`crate::backup`], and `keyward backup restore --to-url`
//! writes one into an empty database.
//!
//! Consistency: the rows are read in one `REPEATABLE READ READ ONLY` transaction, so the backup is
//! the database at one instant: every commit acknowledged by any node before the backup began,
//! each multi-object commit whole or not at all, with the keyring that opens them. Like the sled
//! store's, the backup holds the rows sealed as they are at rest (the database never held a clear
//! key byte); its digest is sealed by the store's key.
//!
//! Entries (manifest backend "postgres"):
//! - `Meta` `kek_version/N`: state (i16), derives_data_key (u8), the check value;
//!   `keyring`: the KEK version (i32) and the wrapped keyring; `commit_order`: the last number of
//!   the cluster's order of commits (i64);
//! - `Objects` by identifier, in creation order: revision (i64), the index keys (u32 length, the
//!   keys of [`INDEX_KEY_LEN`] bytes each), the Name claims (the same), then the sealed record;
//! - `Settings` by key: the sealed value.
//!
//! Integers are big-endian. The node table (leases) is not carried: it describes running nodes.

use std::io::Write;

use super::PostgresStore;
use super::database::backend;
use super::keyring;
use crate::backup::{Backup, BackupTree, BackupWriter, Manifest};
use crate::kek::KekSource;
use crate::sealing::{INDEX_MAC_LEN, Sealer};
use crate::{Schema, StoreError, StoreResult};

/// The backend name in a manifest.
pub const BACKEND: &str = "postgres";
/// The length of one index key or claim key.
const INDEX_KEY_LEN: usize = 1 + INDEX_MAC_LEN;

const SNAPSHOT: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
const VERSIONS: &str = "SELECT version, state, derives_data_key, check_value FROM kek_versions ORDER BY version";
const KEYRING: &str = "SELECT kek_version, wrapped FROM keyring";
/// The last number of the cluster's order of commits (0 before the first).
const LAST_ORDER: &str = "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM commit_order";
const SETTINGS: &str = "SELECT key, sealed FROM settings ORDER BY key";
const OBJECTS: &str = "SELECT o.unique_identifier, o.revision, o.index_keys, o.sealed,
         coalesce((SELECT string_agg(c.claim_key, '' ORDER BY c.claim_key) FROM name_claims c
                   WHERE c.object_id = o.id), '')
     FROM objects o ORDER BY o.id";

/// What a restore wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Restored {
    pub objects: u64,
    pub settings: u64,
}

impl PostgresStore {
    /// Writes a backup of the whole database at one instant to `out`.
    pub(super) fn write_backup(&self, created: i64, out: &mut dyn Write) -> StoreResult<Manifest> {
        let entries = self.database.run(|client| {
            Box::pin(async move {
                let read = |e| backend("reading the backup's snapshot", &e);
                client.batch_execute(SNAPSHOT).await.map_err(read)?;
                let entries = snapshot(client).await;
                // Read only: the end of the transaction changes nothing either way.
                client.batch_execute("ROLLBACK").await.map_err(read)?;
                entries
            })
        })?;
        let count = |tree| entries.iter().filter(|(t, _, _)| *t == tree).count() as u64;
        let manifest = Manifest::new(
            BACKEND,
            created,
            count(BackupTree::Objects),
            count(BackupTree::Settings),
            entries.len() as u64,
        );
        let mut writer = BackupWriter::new(out, &manifest)?;
        for (tree, key, value) in &entries {
            writer.entry(*tree, key, value)?;
        }
        writer.finish_sealed(&self.sealer)?;
        Ok(manifest)
    }

    /// Writes a backup of this backend into the empty database at `url` (the schema is made
    /// first). Needs no key: the rows stay sealed; the nodes that open the database need the KEK
    /// the backup was made under. A database that holds a store already is refused.
    pub fn restore(url: &str, options: &super::PostgresOptions, backup: &Backup) -> StoreResult<Restored> {
        if backup.manifest.backend != BACKEND {
            return Err(StoreError::Backend(format!(
                "this backup is of a {} store: restore it into a data directory",
                backup.manifest.backend
            )));
        }
        let rows = Rows::of(backup)?;
        let database = super::connect_database(url, options)?;
        database.run(move |client| Box::pin(async move { rows.write(client).await }))
    }
}

/// Every row of the snapshot, as backup entries.
async fn snapshot(client: &mut super::Pooled) -> StoreResult<Vec<(BackupTree, Vec<u8>, Vec<u8>)>> {
    let read = |e| backend("reading the backup's snapshot", &e);
    let mut entries = Vec::new();
    for row in client.query(VERSIONS, &[]).await.map_err(read)? {
        let (version, state, derives, check): (i32, i16, bool, Vec<u8>) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        let value = [state.to_be_bytes().as_slice(), &[u8::from(derives)], &check].concat();
        entries.push((BackupTree::Meta, format!("kek_version/{version}").into_bytes(), value));
    }
    let order: i64 = client.query_one(LAST_ORDER, &[]).await.map_err(read)?.get(0);
    entries.push((BackupTree::Meta, b"commit_order".to_vec(), order.to_be_bytes().to_vec()));
    for row in client.query(KEYRING, &[]).await.map_err(read)? {
        let (version, wrapped): (i32, Vec<u8>) = (row.get(0), row.get(1));
        entries.push((BackupTree::Meta, b"keyring".to_vec(), [version.to_be_bytes().as_slice(), &wrapped].concat()));
    }
    for row in client.query(SETTINGS, &[]).await.map_err(read)? {
        let (key, sealed): (String, Vec<u8>) = (row.get(0), row.get(1));
        entries.push((BackupTree::Settings, key.into_bytes(), sealed));
    }
    for row in client.query(OBJECTS, &[]).await.map_err(read)? {
        let (uid, revision, index_keys, sealed, claims): (String, i64, Vec<u8>, Vec<u8>, Vec<u8>) =
            (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4));
        let object = StoredRow { revision, index_keys, claims, sealed };
        entries.push((BackupTree::Objects, uid.into_bytes(), object.encode()?));
    }
    Ok(entries)
}

/// An object's row as a backup carries it.
struct StoredRow {
    revision: i64,
    index_keys: Vec<u8>,
    claims: Vec<u8>,
    sealed: Vec<u8>,
}

impl StoredRow {
    fn encode(&self) -> StoreResult<Vec<u8>> {
        let length = |bytes: &[u8]| {
            u32::try_from(bytes.len()).map_err(|_| StoreError::LimitExceeded("an object's index keys".into()))
        };
        let mut out = Vec::with_capacity(16 + self.index_keys.len() + self.claims.len() + self.sealed.len());
        out.extend_from_slice(&self.revision.to_be_bytes());
        for part in [&self.index_keys, &self.claims] {
            out.extend_from_slice(&length(part)?.to_be_bytes());
            out.extend_from_slice(part);
        }
        out.extend_from_slice(&self.sealed);
        Ok(out)
    }

    fn decode(bytes: &[u8]) -> StoreResult<StoredRow> {
        let damaged = || StoreError::Corrupt("an object entry of the backup is damaged".into());
        let (revision, mut rest) = bytes.split_first_chunk::<8>().ok_or_else(damaged)?;
        let mut parts = Vec::with_capacity(2);
        for _ in 0..2 {
            let (length, after) = rest.split_first_chunk::<4>().ok_or_else(damaged)?;
            let length = usize::try_from(u32::from_be_bytes(*length)).map_err(|_| damaged())?;
            if after.len() < length || length % INDEX_KEY_LEN != 0 {
                return Err(damaged());
            }
            let (part, after) = after.split_at(length);
            parts.push(part.to_vec());
            rest = after;
        }
        let claims = parts.pop().unwrap_or_default();
        let index_keys = parts.pop().unwrap_or_default();
        Ok(StoredRow { revision: i64::from_be_bytes(*revision), index_keys, claims, sealed: rest.to_vec() })
    }

    fn keys(bytes: &[u8]) -> Vec<Vec<u8>> {
        bytes.chunks(INDEX_KEY_LEN).map(<[u8]>::to_vec).collect()
    }
}

/// A backup's rows, read and checked before anything is written.
struct Rows {
    versions: Vec<(i32, i16, bool, Vec<u8>)>,
    keyring: (i32, Vec<u8>),
    settings: Vec<(String, Vec<u8>)>,
    objects: Vec<(String, StoredRow)>,
    /// The last number of the order of commits: a restored cluster goes on after it.
    order: i64,
}

impl Rows {
    fn of(backup: &Backup) -> StoreResult<Rows> {
        let damaged = |what: &str| StoreError::Corrupt(format!("the backup's {what} is damaged"));
        let text = |bytes: &[u8], what: &str| String::from_utf8(bytes.to_vec()).map_err(|_| damaged(what));
        let (mut versions, mut keyring) = (Vec::new(), None);
        let (mut settings, mut objects) = (Vec::new(), Vec::new());
        let mut order = 0;
        for entry in &backup.entries {
            match entry.tree {
                BackupTree::Meta if entry.key == b"commit_order" => {
                    let value = entry.value.as_slice().try_into().map_err(|_| damaged("order of commits"))?;
                    order = i64::from_be_bytes(value);
                }
                BackupTree::Meta if entry.key == b"keyring" => {
                    let (version, wrapped) = entry.value.split_first_chunk::<4>().ok_or_else(|| damaged("keyring"))?;
                    keyring = Some((i32::from_be_bytes(*version), wrapped.to_vec()));
                }
                BackupTree::Meta => {
                    let name = text(&entry.key, "KEK versions")?;
                    let version = name.strip_prefix("kek_version/").and_then(|v| v.parse().ok());
                    let (Some(version), Some((state, rest))) = (version, entry.value.split_first_chunk::<2>()) else {
                        return Err(damaged("KEK versions"));
                    };
                    let (derives, check) = rest.split_first().ok_or_else(|| damaged("KEK versions"))?;
                    versions.push((version, i16::from_be_bytes(*state), *derives != 0, check.to_vec()));
                }
                BackupTree::Settings => settings.push((text(&entry.key, "settings")?, entry.value.clone())),
                BackupTree::Objects => objects.push((text(&entry.key, "objects")?, StoredRow::decode(&entry.value)?)),
                BackupTree::File => return Err(damaged("content (a file in a postgres backup)")),
            }
        }
        let keyring = keyring.ok_or_else(|| damaged("keyring (missing)"))?;
        Ok(Rows { versions, keyring, settings, objects, order })
    }

    /// Writes every row in one transaction, into a database that holds no store.
    async fn write(self, client: &mut super::Pooled) -> StoreResult<Restored> {
        let fail = |e| backend("restoring", &e);
        let tx = client.transaction().await.map_err(fail)?;
        let held: i64 = tx
            .query_one(
                "SELECT (SELECT count(*) FROM objects) + (SELECT count(*) FROM keyring) + (SELECT count(*) FROM settings)",
                &[],
            )
            .await
            .map_err(fail)?
            .get(0);
        if held > 0 {
            return Err(StoreError::Backend(
                "the database holds a store already: restore into an empty database".into(),
            ));
        }
        for (version, state, derives, check) in &self.versions {
            tx.execute(
                "INSERT INTO kek_versions (version, state, derives_data_key, check_value) VALUES ($1, $2, $3, $4)",
                &[version, state, derives, check],
            )
            .await
            .map_err(fail)?;
        }
        let (version, wrapped) = &self.keyring;
        tx.execute("INSERT INTO keyring (kek_version, wrapped) VALUES ($1, $2)", &[version, wrapped])
            .await
            .map_err(fail)?;
        for (key, sealed) in &self.settings {
            tx.execute("INSERT INTO settings (key, sealed) VALUES ($1, $2)", &[key, sealed]).await.map_err(fail)?;
        }
        let insert = tx.prepare(super::write::INSERT_ONE).await.map_err(fail)?;
        for (uid, row) in &self.objects {
            let (terms, claims) = (StoredRow::keys(&row.index_keys), StoredRow::keys(&row.claims));
            let inserted = tx
                .query_opt(&insert, &[uid, &row.revision, &row.index_keys, &row.sealed, &terms, &claims])
                .await
                .map_err(fail)?;
            if inserted.is_none() {
                return Err(StoreError::Corrupt(format!("the backup holds {uid} twice")));
            }
        }
        if self.order > 0 {
            tx.execute("SELECT setval('commit_order', $1)", &[&self.order]).await.map_err(fail)?;
        }
        tx.commit().await.map_err(fail)?;
        Ok(Restored { objects: self.objects.len() as u64, settings: self.settings.len() as u64 })
    }
}

/// Checks a postgres backup with the KEK, without a database: the keyring opens, the store's key
/// sealed the backup's digest, and every record and setting opens. Returns the objects checked.
pub fn verify_backup(backup: &Backup, source: &dyn KekSource, schema: &Schema) -> StoreResult<u64> {
    let rows = Rows::of(backup)?;
    let (version, wrapped) = &rows.keyring;
    let check = rows
        .versions
        .iter()
        .find(|(v, ..)| v == version)
        .map(|(.., check)| check.as_slice())
        .ok_or_else(|| StoreError::Corrupt("the backup has no check value for its keyring's KEK".into()))?;
    let opened = keyring::unwrap(*version, wrapped, check, source)?;
    let sealer = Sealer::new(&opened.ring);
    backup.check_seal(&sealer)?;
    for (key, sealed) in &rows.settings {
        sealer.open(sealed, &crate::records::setting_context(key))?;
    }
    for (uid, row) in &rows.objects {
        PostgresStore::open_record(&sealer, schema, uid, row.revision, &row.index_keys, &row.sealed)?;
    }
    Ok(rows.objects.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_object_row_reads_back_and_damage_is_found() {
        let row = StoredRow {
            revision: 7,
            index_keys: vec![1; INDEX_KEY_LEN * 3],
            claims: vec![2; INDEX_KEY_LEN],
            sealed: b"sealed bytes".to_vec(),
        };
        let bytes = row.encode().unwrap();
        let read = StoredRow::decode(&bytes).unwrap();
        assert_eq!(
            (read.revision, read.index_keys, read.claims, read.sealed),
            (7, row.index_keys, row.claims, row.sealed)
        );
        assert_eq!(StoredRow::keys(&[5; INDEX_KEY_LEN * 2]).len(), 2);
        for cut in [0, 7, 11, 12 + INDEX_KEY_LEN] {
            assert!(StoredRow::decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }
}
