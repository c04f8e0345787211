//! The due-time queue: every object that rotates, by due time, in memory. Built at start from the
//! store (the objects with Rotate Automatic True, found from the index headers, and those the
//! policies select), then kept current object by object: after each commit the objects it changed
//! are looked at again, and after each rotation the two generations. A check then costs a look at
//! the front of the queue, not a read of every object.

use std::collections::{BTreeSet, HashMap, HashSet};

use keyward_store::{IndexTerm, ObjectStore, StoreResult};

use super::due::{Source, next_rotation};
use super::policy::{RotationPolicy, Selector};

/// One object's next rotation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub unique_identifier: String,
    pub due: i64,
    pub source: Source,
    /// Who owns the object (the schedule shows a client only its own).
    pub owner: String,
}

/// The queue of due times.
#[derive(Default, Debug)]
pub struct Schedule {
    by_due: BTreeSet<(i64, String)>,
    entries: HashMap<String, Entry>,
}

impl Schedule {
    /// Reads the store once for every object that may rotate.
    pub fn build(store: &dyn ObjectStore, policies: &[RotationPolicy], now: i64) -> StoreResult<Schedule> {
        let mut schedule = Schedule::default();
        for uid in watched(store, policies)? {
            schedule.refresh(store, policies, &uid, now)?;
        }
        Ok(schedule)
    }

    /// Looks at one object again (after it changed, was rotated, or a policy changed).
    pub fn refresh(
        &mut self,
        store: &dyn ObjectStore,
        policies: &[RotationPolicy],
        uid: &str,
        now: i64,
    ) -> StoreResult<()> {
        self.remove(uid);
        let Some(object) = store.get(uid)? else {
            return Ok(());
        };
        if let Some((rule, due)) = next_rotation(&object, policies, now) {
            self.by_due.insert((due, uid.to_string()));
            self.entries.insert(
                uid.to_string(),
                Entry { unique_identifier: uid.to_string(), due, source: rule.source, owner: object.owner.clone() },
            );
        }
        Ok(())
    }

    fn remove(&mut self, uid: &str) {
        if let Some(entry) = self.entries.remove(uid) {
            self.by_due.remove(&(entry.due, entry.unique_identifier));
        }
    }

    /// The objects due at `now`, earliest first.
    pub fn due(&self, now: i64) -> Vec<String> {
        self.by_due.iter().take_while(|(due, _)| *due <= now).map(|(_, uid)| uid.clone()).collect()
    }

    /// The earliest due time, if anything rotates.
    pub fn next_due(&self) -> Option<i64> {
        self.by_due.first().map(|(due, _)| *due)
    }

    /// Every entry, earliest first.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.by_due.iter().filter_map(|(_, uid)| self.entries.get(uid))
    }

    pub fn entry(&self, uid: &str) -> Option<&Entry> {
        self.entries.get(uid)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The identifiers of every object that may rotate: those with Rotate Automatic True (an index
/// term, so found without decrypting anything) and those the policies select (a group from its
/// index; a Name pattern needs every object read, once, since names are indexed only by HMAC).
fn watched(store: &dyn ObjectStore, policies: &[RotationPolicy]) -> StoreResult<Vec<String>> {
    let mut found: Vec<String> = store.candidates(&[IndexTerm::automatic_rotation()])?;
    for policy in policies {
        match policy.selector() {
            Selector::Object(uid) => found.push(uid.to_string()),
            Selector::ObjectGroup(group) => found.extend(store.candidates(&[IndexTerm::object_group(group)])?),
            Selector::NamePattern(_) => found.extend(store.candidates(&[])?),
        }
    }
    let mut seen = HashSet::new();
    found.retain(|uid| seen.insert(uid.clone()));
    Ok(found)
}

#[cfg(test)]
mod tests {
    use keyward_kmip::attributes::{Attribute, IndexedAttribute};
    use keyward_store::{Change, MemoryStore, StoredObject};

    use super::super::due::tests::{T, automatic, key};
    use super::*;

    fn stored(store: &MemoryStore, uid: &str, attributes: Vec<Attribute>) -> StoredObject {
        let mut object = key(attributes);
        object.unique_identifier = uid.into();
        object.revision = 0;
        store.commit(vec![Change::Insert(object.clone())]).unwrap().wait().unwrap();
        store.get(uid).unwrap().map(|o| (*o).clone()).unwrap()
    }

    #[test]
    fn the_queue_is_built_from_the_index_and_kept_in_due_order() {
        let store = MemoryStore::new(crate::record_schema::schema());
        stored(&store, "late", automatic(90));
        stored(&store, "early", automatic(30));
        stored(&store, "plain", vec![]);
        stored(&store, "grouped", vec![Attribute::ObjectGroup("g".into())]);
        let policies: Vec<RotationPolicy> =
            vec![serde_json::from_str(r#"{"id":"g","object_group":"g","interval":60}"#).unwrap()];
        let schedule = Schedule::build(&store, &policies, T).unwrap();
        let order: Vec<(&str, i64)> = schedule.entries().map(|e| (e.unique_identifier.as_str(), e.due)).collect();
        assert_eq!(order, [("early", T + 30), ("grouped", T + 60), ("late", T + 90)]);
        assert_eq!(schedule.next_due(), Some(T + 30));
        assert_eq!(schedule.due(T + 60), ["early", "grouped"]);
        assert!(Schedule::build(&store, &[], T).unwrap().entry("grouped").is_none());
    }

    #[test]
    fn a_refresh_follows_the_object() {
        let store = MemoryStore::new(crate::record_schema::schema());
        let mut object = stored(&store, "k", automatic(30));
        let mut schedule = Schedule::build(&store, &[], T).unwrap();
        assert_eq!(schedule.len(), 1);
        // Rotated: Rotate Latest False, out of the queue.
        object.attributes.push(IndexedAttribute::new(Attribute::RotateLatest(false)));
        store.commit(vec![Change::Update(object)]).unwrap().wait().unwrap();
        schedule.refresh(&store, &[], "k", T).unwrap();
        assert!(schedule.is_empty());
        assert!(schedule.due(T + 1_000).is_empty());
        // Gone from the store: nothing, and no error.
        schedule.refresh(&store, &[], "missing", T).unwrap();
        assert!(schedule.is_empty());
    }
}
