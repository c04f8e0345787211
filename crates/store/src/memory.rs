//! An in-memory store, for tests of the layers above. Not durable, not encrypted.

use std::collections::{BTreeMap, HashMap};

use std::sync::{Arc, RwLock};
use zeroize::Zeroizing;

use crate::index::{claims, terms_of};
use crate::{Change, CommitTicket, IndexTerm, ObjectStore, StoreError, StoreResult, StoredObject};

#[derive(Default)]
pub struct MemoryStore {
    objects: RwLock<Objects>,
    settings: RwLock<BTreeMap<String, Zeroizing<Vec<u8>>>>,
}

#[derive(Default)]
struct Objects {
    by_id: HashMap<String, StoredObject>,
    /// Identifiers in creation order.
    created: Vec<String>,
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }
}

impl ObjectStore for MemoryStore {
    fn get(&self, unique_identifier: &str) -> StoreResult<Option<Arc<StoredObject>>> {
        let objects = self.objects.read().map_err(|_| StoreError::Backend("poisoned".into()))?;
        Ok(objects.by_id.get(unique_identifier).cloned().map(Arc::new))
    }

    fn commit(&self, changes: Vec<Change>) -> StoreResult<CommitTicket> {
        let mut objects = self.objects.write().map_err(|_| StoreError::Backend("poisoned".into()))?;
        // Check everything first, so that a conflict changes nothing.
        let mut claimed = std::collections::HashSet::new();
        for change in &changes {
            let o = change.object();
            let terms = terms_of(&o.owner, &o.attributes);
            crate::check_index_terms(&o.unique_identifier, terms.len())?;
            // A Name newly claimed that an object outside this commit holds, or claimed twice
            // within it.
            let held = objects.by_id.get(&o.unique_identifier).map(|old| terms_of(&old.owner, &old.attributes));
            for claim in claims(&terms).filter(|c| !held.as_ref().is_some_and(|h| h.contains(c))) {
                let outside = objects.by_id.values().any(|other| {
                    !changes.iter().any(|c| uid_of_change(c) == other.unique_identifier)
                        && terms_of(&other.owner, &other.attributes).contains(claim)
                });
                if outside || !claimed.insert(claim.clone()) {
                    return Err(StoreError::Conflict(o.unique_identifier.clone()));
                }
            }
            match change {
                Change::Insert(o) if objects.by_id.contains_key(&o.unique_identifier) => {
                    return Err(StoreError::Conflict(o.unique_identifier.clone()));
                }
                Change::Update(o)
                    if objects.by_id.get(&o.unique_identifier).map(|c| c.revision) != Some(o.revision) =>
                {
                    return Err(StoreError::Conflict(o.unique_identifier.clone()));
                }
                _ => {}
            }
        }
        for change in changes {
            if let Change::Insert(o) = &change {
                objects.created.push(o.unique_identifier.clone());
            }
            let (Change::Insert(mut o) | Change::Update(mut o)) = change;
            o.revision += 1;
            objects.by_id.insert(o.unique_identifier.clone(), o);
        }
        Ok(CommitTicket::ready())
    }

    fn candidates(&self, terms: &[IndexTerm]) -> StoreResult<Vec<String>> {
        let objects = self.objects.read().map_err(|_| StoreError::Backend("poisoned".into()))?;
        let found = objects
            .created
            .iter()
            .rev()
            .filter_map(|uid| objects.by_id.get(uid))
            .filter(|o| {
                let own = terms_of(&o.owner, &o.attributes);
                terms.iter().all(|t| own.contains(t))
            })
            .map(|o| o.unique_identifier.clone())
            .collect();
        Ok(found)
    }

    fn read_fence(&self) -> CommitTicket {
        CommitTicket::ready()
    }

    fn flush(&self) -> StoreResult<()> {
        Ok(())
    }

    fn setting(&self, key: &str) -> StoreResult<Option<Zeroizing<Vec<u8>>>> {
        let settings = self.settings.read().map_err(|_| StoreError::Backend("poisoned".into()))?;
        Ok(settings.get(key).cloned())
    }

    fn settings(&self, prefix: &str) -> StoreResult<Vec<(String, Zeroizing<Vec<u8>>)>> {
        let settings = self.settings.read().map_err(|_| StoreError::Backend("poisoned".into()))?;
        let found = settings.range(prefix.to_string()..).take_while(|(key, _)| key.starts_with(prefix));
        Ok(found.map(|(key, value)| (key.clone(), value.clone())).collect())
    }

    fn put_setting(&self, key: &str, value: Option<&[u8]>) -> StoreResult<CommitTicket> {
        let mut settings = self.settings.write().map_err(|_| StoreError::Backend("poisoned".into()))?;
        match value {
            Some(value) => settings.insert(key.to_string(), Zeroizing::new(value.to_vec())),
            None => settings.remove(key),
        };
        Ok(CommitTicket::ready())
    }
}

fn uid_of_change(change: &Change) -> &str {
    &change.object().unique_identifier
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_kept_listed_by_prefix_and_deleted() {
        let store = MemoryStore::new();
        store.put_setting("grant/b", Some(b"2")).unwrap().wait().unwrap();
        store.put_setting("grant/a", Some(b"1")).unwrap().wait().unwrap();
        store.put_setting("rotation/x", Some(b"3")).unwrap().wait().unwrap();
        let grants: Vec<_> = store.settings("grant/").unwrap().into_iter().map(|(k, v)| (k, v.to_vec())).collect();
        assert_eq!(grants, [("grant/a".to_string(), b"1".to_vec()), ("grant/b".to_string(), b"2".to_vec())]);
        store.put_setting("grant/a", None).unwrap().wait().unwrap();
        assert!(store.setting("grant/a").unwrap().is_none());
        assert_eq!(store.setting("rotation/x").unwrap().unwrap().as_slice(), b"3");
    }
}
