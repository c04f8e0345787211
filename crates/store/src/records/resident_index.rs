//! The Locate indexes, held in memory and rebuilt from the objects' clear headers when the store
//! opens.
//!
//! Everything an index entry says (the object's creation sequence and the HMAC keys of its
//! indexed values) is already in the header written with the object, in the same atomic write.
//! Writing it a second time as sled entries cost about five inserts per object, most of a durable
//! Create's CPU, and left stale entries behind a crash that every reader had to check against the
//! object. Derived from the headers, the indexes cannot disagree with what is on disk. The price
//! is memory, about 200 bytes per object and 320 for one with a name (a million keys: 200 to
//! 320 MB), and a scan of the headers at start-up.
//!
//! Creation sequences come from sled's `generate_id`, unique across restarts, so one sequence
//! stands for one object.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::header::IndexKey;

/// The entries of an index, as a snapshot holds them (see [`ResidentIndex::export`]).
pub(crate) struct Exported {
    /// (creation sequence, identifier), ascending.
    pub(crate) objects: Vec<(u64, Arc<str>)>,
    /// (index key, the sequences of the objects that have it, ascending), by key.
    pub(crate) keys: Vec<(IndexKey, Vec<u64>)>,
}

#[derive(Default)]
pub(crate) struct ResidentIndex {
    entries: RwLock<Entries>,
}

#[derive(Default)]
struct Entries {
    /// Every object by creation sequence, for listings newest first.
    by_sequence: BTreeMap<u64, Arc<str>>,
    /// The creation sequences of the objects that have each index key.
    by_key: KeyMap,
}

impl Entries {
    /// Makes the object of `sequence` a member of `key`.
    fn join(&mut self, key: IndexKey, sequence: u64) {
        match self.by_key.get_mut(&key) {
            Some(members) => members.insert(sequence),
            None => {
                self.by_key.insert(key, Members::One(sequence));
            }
        }
    }
}

type KeyMap = HashMap<IndexKey, Members, BuildHasherDefault<KeyHasher>>;

/// The hash of an index key: eight bytes of its MAC. The MAC is HMAC-SHA256 under the store's
/// index key, so nobody without that key can choose values that collide (what SipHash's keyed
/// hashing guards against in general); and SipHash over every key cost a measurable part of a
/// start from a snapshot.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // An index key is its kind, then the MAC: bytes 1 to 8 are MAC.
        match bytes.get(1..9) {
            Some(mac) => self.0 ^= u64::from_le_bytes(mac.try_into().unwrap_or_default()),
            None => bytes.iter().for_each(|b| self.0 = self.0.rotate_left(8) ^ u64::from(*b)),
        }
    }

    fn write_usize(&mut self, _length: usize) {
        // The slice length every index key is hashed with: the same for all.
    }
}

/// The objects with one index key. Most names belong to one object, and a set of one would cost
/// a tree node (about 100 bytes) per name.
enum Members {
    One(u64),
    Many(BTreeSet<u64>),
}

impl Members {
    fn insert(&mut self, sequence: u64) {
        match self {
            Members::One(only) if *only == sequence => {}
            Members::One(only) => *self = Members::Many(BTreeSet::from([*only, sequence])),
            Members::Many(set) => {
                set.insert(sequence);
            }
        }
    }

    /// Removes a member; false when none is left.
    fn remove(&mut self, sequence: u64) -> bool {
        match self {
            Members::One(only) => *only != sequence,
            Members::Many(set) => {
                set.remove(&sequence);
                !set.is_empty()
            }
        }
    }

    /// Removes every member of `sequences`; false when none is left.
    fn remove_all(&mut self, sequences: &HashSet<u64>) -> bool {
        match self {
            Members::One(only) => !sequences.contains(only),
            Members::Many(set) => {
                set.retain(|s| !sequences.contains(s));
                !set.is_empty()
            }
        }
    }

    fn contains(&self, sequence: u64) -> bool {
        match self {
            Members::One(only) => *only == sequence,
            Members::Many(set) => set.contains(&sequence),
        }
    }

    fn len(&self) -> usize {
        match self {
            Members::One(_) => 1,
            Members::Many(set) => set.len(),
        }
    }

    /// Newest first.
    fn newest_first(&self) -> Box<dyn Iterator<Item = u64> + '_> {
        match self {
            Members::One(only) => Box::new(std::iter::once(*only)),
            Members::Many(set) => Box::new(set.iter().rev().copied()),
        }
    }
}

/// An index built from a snapshot's entries, in their order (sequences ascending).
pub(crate) struct Builder {
    objects: Vec<(u64, Arc<str>)>,
    by_key: KeyMap,
}

impl Builder {
    pub(crate) fn with_capacity(objects: usize, keys: usize) -> Builder {
        Builder {
            objects: Vec::with_capacity(objects),
            by_key: KeyMap::with_capacity_and_hasher(keys, Default::default()),
        }
    }

    pub(crate) fn reserve_keys(&mut self, keys: usize) {
        self.by_key.reserve(keys);
    }

    pub(crate) fn object(&mut self, sequence: u64, unique_identifier: Arc<str>) {
        self.objects.push((sequence, unique_identifier));
    }

    /// The objects that have `key`, by sequence (most keys have one).
    pub(crate) fn key(&mut self, key: IndexKey, sequences: impl IntoIterator<Item = u64>) {
        let mut sequences = sequences.into_iter();
        let Some(first) = sequences.next() else { return };
        let members = match sequences.next() {
            None => Members::One(first),
            Some(second) => Members::Many([first, second].into_iter().chain(sequences).collect()),
        };
        self.by_key.insert(key, members);
    }

    pub(crate) fn finish(self) -> ResidentIndex {
        let by_sequence = self.objects.into_iter().collect();
        ResidentIndex { entries: RwLock::new(Entries { by_sequence, by_key: self.by_key }) }
    }
}

impl ResidentIndex {
    fn read(&self) -> RwLockReadGuard<'_, Entries> {
        // Every change below completes or leaves the maps as they were: a panic elsewhere while
        // the lock was held cannot have broken them.
        self.entries.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Entries> {
        self.entries.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes the entries of `other` in one step (the store reopened from disk): no reader sees
    /// an index half rebuilt.
    pub(crate) fn replace(&self, other: ResidentIndex) {
        let entries = other.entries.into_inner().unwrap_or_else(|p| p.into_inner());
        *self.write() = entries;
    }

    /// Records that the object created at `sequence` now has `new` keys instead of `old` (empty
    /// for a new object). Callers serialize changes of one object.
    pub(crate) fn update(&self, unique_identifier: &str, sequence: u64, old: &[IndexKey], new: &[IndexKey]) {
        let mut entries = self.write();
        entries.by_sequence.entry(sequence).or_insert_with(|| Arc::from(unique_identifier));
        for key in old.iter().filter(|k| !new.contains(k)) {
            if entries.by_key.get_mut(key).is_some_and(|members| !members.remove(sequence)) {
                entries.by_key.remove(key);
            }
        }
        for key in new.iter().filter(|k| !old.contains(k)) {
            entries.join(*key, sequence);
        }
    }

    /// Sets each of `objects` (identifier, creation sequence, index keys) to have exactly those
    /// keys, whatever it had (a snapshot's index brought up to the records: see `journal`).
    /// Returns how many of them it did not hold before.
    pub(crate) fn reset(&self, objects: Vec<(String, u64, Vec<IndexKey>)>) -> u64 {
        if objects.is_empty() {
            return 0;
        }
        let mut entries = self.write();
        // One pass over every key takes away what the objects it held had (an object it did not
        // hold has no key yet), then what they have comes.
        let held: HashSet<u64> =
            objects.iter().map(|(_, sequence, _)| *sequence).filter(|s| entries.by_sequence.contains_key(s)).collect();
        if !held.is_empty() {
            entries.by_key.retain(|_, members| members.remove_all(&held));
        }
        let mut added = 0;
        for (uid, sequence, keys) in objects {
            if entries.by_sequence.insert(sequence, Arc::from(uid.as_str())).is_none() {
                added += 1;
            }
            for key in keys {
                entries.join(key, sequence);
            }
        }
        added
    }

    /// Every entry, for a snapshot: the objects by creation sequence, and each key's members,
    /// both in ascending order.
    ///
    /// Copied a chunk at a time, the lock let go in between so that commits are not held up for
    /// the whole copy (about 0.4 s for two million objects in one piece). An object that changes
    /// meanwhile may be copied half old and half new; the snapshot's reader sets every object
    /// changed after its point to its record's keys (`journal`), whatever the copy said. The keys
    /// are copied before the objects, so that every object a key names is among the objects.
    pub(crate) fn export(&self) -> Exported {
        const CHUNK: usize = 16_384;
        let names: Vec<IndexKey> = self.read().by_key.keys().copied().collect();
        let mut keys: Vec<(IndexKey, Vec<u64>)> = Vec::with_capacity(names.len());
        for chunk in names.chunks(CHUNK) {
            let entries = self.read();
            for key in chunk {
                if let Some(members) = entries.by_key.get(key) {
                    let mut sequences: Vec<u64> = members.newest_first().collect();
                    sequences.reverse();
                    keys.push((*key, sequences));
                }
            }
        }
        keys.sort_unstable_by_key(|(key, _)| *key);
        let mut objects: Vec<(u64, Arc<str>)> = Vec::new();
        loop {
            let from = match objects.last() {
                None => 0,
                Some((sequence, _)) => match sequence.checked_add(1) {
                    Some(next) => next,
                    None => break,
                },
            };
            let entries = self.read();
            let before = objects.len();
            objects.extend(entries.by_sequence.range(from..).take(CHUNK).map(|(s, uid)| (*s, Arc::clone(uid))));
            if objects.len() == before {
                break;
            }
        }
        Exported { objects, keys }
    }

    /// The identifiers of the objects that have every key (all objects for none), newest first.
    pub(crate) fn candidates(&self, keys: &[IndexKey]) -> Vec<String> {
        let entries = self.read();
        let identifier = |sequence: u64| entries.by_sequence.get(&sequence).map(|uid| uid.to_string());
        if keys.is_empty() {
            return entries.by_sequence.values().rev().map(|uid| uid.to_string()).collect();
        }
        let mut sets = Vec::with_capacity(keys.len());
        for key in keys {
            match entries.by_key.get(key) {
                Some(set) => sets.push(set),
                None => return Vec::new(),
            }
        }
        // Walk the smallest set, probe the others.
        sets.sort_by_key(|set| set.len());
        let Some((smallest, others)) = sets.split_first() else { return Vec::new() };
        smallest
            .newest_first()
            .filter(|sequence| others.iter().all(|set| set.contains(*sequence)))
            .filter_map(identifier)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RED: IndexKey = [1; 17];
    const BLUE: IndexKey = [2; 17];
    const OWNER: IndexKey = [3; 17];

    /// An export in several chunks, built back, answers as the index it came from.
    #[test]
    fn an_export_of_many_chunks_builds_the_same_index() {
        let index = ResidentIndex::default();
        let own = |n: u64| {
            let mut key = [4; 17];
            key[1..9].copy_from_slice(&n.to_be_bytes());
            key
        };
        for n in 1..=20_000u64 {
            index.update(&format!("o{n}"), n * 2, &[], &[OWNER, own(n), if n % 3 == 0 { RED } else { BLUE }]);
        }
        let exported = index.export();
        assert_eq!(exported.objects.len(), 20_000);
        let mut built = Builder::with_capacity(exported.objects.len(), exported.keys.len());
        for (sequence, uid) in exported.objects {
            built.object(sequence, uid);
        }
        for (key, sequences) in exported.keys {
            built.key(key, sequences);
        }
        let built = built.finish();
        for keys in [vec![], vec![OWNER], vec![RED], vec![OWNER, BLUE], vec![own(17)], vec![own(19_998), RED]] {
            assert_eq!(built.candidates(&keys), index.candidates(&keys), "{keys:?}");
        }
    }

    #[test]
    fn candidates_match_every_key_newest_first() {
        let index = ResidentIndex::default();
        index.update("a", 1, &[], &[OWNER, RED]);
        index.update("b", 2, &[], &[OWNER, BLUE]);
        index.update("c", 3, &[], &[OWNER, RED]);
        assert_eq!(index.candidates(&[]), ["c", "b", "a"]);
        assert_eq!(index.candidates(&[RED]), ["c", "a"]);
        assert_eq!(index.candidates(&[OWNER, BLUE]), ["b"]);
        assert!(index.candidates(&[RED, BLUE]).is_empty());
        assert!(index.candidates(&[[9; 17]]).is_empty());
    }

    #[test]
    fn an_update_moves_the_object_between_keys() {
        let index = ResidentIndex::default();
        index.update("a", 1, &[], &[OWNER, RED]);
        index.update("a", 1, &[OWNER, RED], &[OWNER, BLUE]);
        assert!(index.candidates(&[RED]).is_empty());
        assert_eq!(index.candidates(&[BLUE]), ["a"]);
        assert_eq!(index.candidates(&[]), ["a"]);
    }
}
