//! Moving a store into another backend (`keyward store migrate`): from a single node's sled
//! directory into PostgreSQL, or back. Both stores are opened with the same KEK; records are
//! opened from one and sealed again for the other (the two backends bind seals to different
//! contexts), then both are read back and compared, object by object and setting by setting.

use std::sync::Arc;

use crate::{Change, ObjectStore, StoreError, StoreResult};

/// What was copied.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Copied {
    pub objects: usize,
    pub settings: usize,
}

/// Copies every object and setting of `from` into `to`, which must be empty, keeping revisions
/// and creation order, then checks that `to` holds exactly what `from` does. `progress` hears
/// (objects copied, objects in all). Nothing may write to either store meanwhile (stop the
/// servers).
pub fn copy_store(
    from: &dyn ObjectStore,
    to: &dyn ObjectStore,
    progress: &mut dyn FnMut(usize, usize),
) -> StoreResult<Copied> {
    if !to.candidates(&[])?.is_empty() || !to.settings("")?.is_empty() {
        return Err(StoreError::Backend("the target store is not empty".into()));
    }
    // Oldest first, so that the target lists them newest first as the source does.
    let mut identifiers = from.candidates(&[])?;
    identifiers.reverse();
    for (done, identifier) in identifiers.iter().enumerate() {
        let object = from.get(identifier)?.ok_or_else(|| {
            StoreError::Backend(format!("{identifier} vanished from the source: is a server running on it?"))
        })?;
        let mut object = Arc::unwrap_or_clone(object);
        // An insert writes the revision after the one it carries.
        object.revision = object.revision.saturating_sub(1);
        let committed = to.commit(vec![Change::Insert(object)]).map_err(|error| match error {
            StoreError::Conflict(uid) => StoreError::Backend(format!(
                "{uid} could not be copied: its identifier, or one of its Names for its owner, is taken in the \
                 target (objects written before Names were unique may share one: rename or destroy one of them)"
            )),
            other => other,
        })?;
        committed.wait()?;
        progress(done + 1, identifiers.len());
    }
    let settings = from.settings("")?;
    for (key, value) in &settings {
        to.put_setting(key, Some(value))?.wait()?;
    }
    to.flush()?;
    verify_same(from, to)?;
    Ok(Copied { objects: identifiers.len(), settings: settings.len() })
}

/// Checks that the two stores hold the same objects (at the same revisions, in the same order)
/// and the same settings.
pub fn verify_same(a: &dyn ObjectStore, b: &dyn ObjectStore) -> StoreResult<()> {
    let differ = |what: String| StoreError::Corrupt(format!("the copy differs from the source: {what}"));
    let identifiers = a.candidates(&[])?;
    if identifiers != b.candidates(&[])? {
        return Err(differ("not the same objects, or not in the same order".into()));
    }
    for identifier in &identifiers {
        if a.get(identifier)? != b.get(identifier)? {
            return Err(differ(format!("object {identifier}")));
        }
    }
    let (settings_a, settings_b) = (a.settings("")?, b.settings("")?);
    if settings_a.len() != settings_b.len()
        || settings_a.iter().zip(&settings_b).any(|((ka, va), (kb, vb))| ka != kb || va[..] != vb[..])
    {
        return Err(differ("settings".into()));
    }
    Ok(())
}
