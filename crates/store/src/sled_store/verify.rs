//! `keyward store verify`: every record and setting read and checked, the watermark compared, and
//! every problem named; `accept`: the store's state made the new watermark, for an operator who
//! restored or repaired a store on purpose.

use std::path::Path;

use super::SLED_DIR;
use super::backend::{Backend, WATERMARK_KEY};
use super::kek::{KEYRING_FILE, read_keyring};
use super::open::{open_unchecked, shortfall};
use super::watermark::{self, Mark, Watermark};
use crate::kek::KekSource;

use crate::sealing::Sealer;
use crate::{Schema, StoreError, StoreResult};

/// The most problems a report lists one by one (all are counted).
const LISTED: usize = 100;

/// What `verify` found.
#[derive(Debug, Default)]
pub struct VerifyReport {
    /// Objects read, whether or not they passed.
    pub objects: u64,
    /// Settings read, whether or not they passed.
    pub settings: u64,
    /// Records (objects, settings) that failed a check: the first [`LISTED`] named.
    pub damaged_records: Vec<String>,
    /// How many records failed a check.
    pub damaged_count: u64,
    /// The store holds less than the watermark says was acknowledged.
    pub shortfall: Option<String>,
    /// The store's own flush number, and the watermark's.
    pub flushes: Option<u64>,
    pub acknowledged_flushes: Option<u64>,
}

impl VerifyReport {
    /// True when nothing is wrong.
    pub fn is_clean(&self) -> bool {
        self.damaged_count == 0 && self.shortfall.is_none()
    }

    fn damaged(&mut self, what: String) {
        self.damaged_count += 1;
        if self.damaged_records.len() < LISTED {
            self.damaged_records.push(what);
        }
    }
}

pub(super) fn verify(dir: &Path, sealer: &Sealer, schema: &Schema, cache_capacity: u64) -> StoreResult<VerifyReport> {
    let (backend, _) = open_existing(dir, cache_capacity)?;
    let mut report = check_records(&backend, sealer, schema)?;
    let own = backend.mark(sealer).map_err(super::open::as_damage)?;
    let acknowledged = watermark::read(dir).map_err(|e| StoreError::Damaged(e.to_string()))?;
    report.shortfall = shortfall(own, acknowledged, report.objects);
    report.flushes = own.map(|m| m.flushes);
    report.acknowledged_flushes = acknowledged.map(|m| m.flushes);
    Ok(report)
}

pub(super) fn accept(dir: &Path, sealer: &Sealer, schema: &Schema, cache_capacity: u64) -> StoreResult<VerifyReport> {
    let (backend, _) = open_existing(dir, cache_capacity)?;
    let mut report = check_records(&backend, sealer, schema)?;
    if report.damaged_count > 0 {
        return Err(StoreError::Damaged(format!(
            "{} records fail their checks (first: {}); restore from a backup instead",
            report.damaged_count,
            report.damaged_records.first().map_or("", String::as_str)
        )));
    }
    let own = backend.mark(sealer)?.unwrap_or_default();
    let mark = Mark { flushes: own.flushes, objects: report.objects };
    backend.meta.insert(WATERMARK_KEY, sealer.seal(&mark.to_bytes(), WATERMARK_KEY)?)?;
    backend.db.flush()?;
    std::fs::File::open(dir.join(SLED_DIR).join("db"))?.sync_data()?;
    drop(backend);
    Watermark::create(dir, mark)?;
    report.flushes = Some(mark.flushes);
    report.acknowledged_flushes = Some(mark.flushes);
    Ok(report)
}

/// The sealer of a store that must exist, from its keyring file unwrapped with `source`'s KEK
/// (before sled opens: a wrong KEK changes no file). Neither the keyring nor a KEK is ever made
/// here.
pub(super) fn existing_sealer(dir: &Path, source: &dyn KekSource) -> StoreResult<Sealer> {
    require_store(dir)?;
    let path = dir.join(KEYRING_FILE);
    match read_keyring(&path, source)? {
        Some(opened) => Ok(Sealer::new(&opened.ring)),
        None => Err(StoreError::Damaged(format!(
            "the keyring file {} is missing (a store made before keyrings gets it at its first start by the \
             server; any other store lost it: restore it from a backup)",
            path.display()
        ))),
    }
}

fn require_store(dir: &Path) -> StoreResult<()> {
    if !dir.join(SLED_DIR).join("db").is_file() {
        return Err(StoreError::Damaged(format!("{} holds no store ({SLED_DIR}/db is missing)", dir.display())));
    }
    Ok(())
}

/// Opens a store that must exist (verify never creates one), whose sealer was had from its
/// keyring ([`existing_sealer`]).
pub(super) fn open_existing(dir: &Path, cache_capacity: u64) -> StoreResult<(Backend, crate::records::Loaded)> {
    require_store(dir)?;
    open_unchecked(dir, cache_capacity)
}

/// Reads every object and setting and checks it: the header parses, the tag verifies, the
/// record decodes and names the identifier it is stored under.
fn check_records(backend: &Backend, sealer: &Sealer, schema: &Schema) -> StoreResult<VerifyReport> {
    let mut report = VerifyReport::default();
    for entry in backend.objects.iter() {
        report.objects += 1;
        let (key, value) = match entry {
            Ok(entry) => entry,
            Err(error) => {
                report.damaged(format!("the object tree cannot be read further: {error}"));
                break;
            }
        };
        let uid = String::from_utf8_lossy(&key).into_owned();
        let checked = crate::records::open_record(sealer, schema, &uid, &value);
        if let Err(error) = checked {
            report.damaged(format!("object {uid}: {error}"));
        }
    }
    for entry in backend.settings.iter() {
        report.settings += 1;
        let (key, sealed) = match entry {
            Ok(entry) => entry,
            Err(error) => {
                report.damaged(format!("the settings tree cannot be read further: {error}"));
                break;
            }
        };
        let key = String::from_utf8_lossy(&key).into_owned();
        if let Err(error) = sealer.open(&sealed, &crate::records::setting_context(&key)) {
            report.damaged(format!("setting {key}: {error}"));
        }
    }
    Ok(report)
}
