//! A cache of decrypted objects, so that a key used again and again (every Encrypt of a storage
//! array, every Get of a hypervisor) is not decrypted and decoded each time.
//!
//! Sixteen independently locked shards, each holding at most a fixed number of objects and
//! evicting the oldest first: no lock is shared by all requests. Objects hold their key material in
//! zeroizing buffers, so an evicted or replaced entry is wiped when it is dropped.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex};

use crate::StoredObject;

const SHARDS: usize = 16;

/// How many decrypted objects a store keeps: a few megabytes for the hot keys of a large
/// deployment.
pub(crate) const CACHED_OBJECTS: usize = 16_384;

#[derive(Default)]
struct Shard {
    objects: HashMap<String, Arc<StoredObject>>,
    /// Insertion order, for eviction.
    order: VecDeque<String>,
}

/// A bounded map from identifier to decrypted object.
pub struct ObjectCache {
    shards: Vec<Mutex<Shard>>,
    per_shard: usize,
    hasher: RandomState,
}

impl ObjectCache {
    /// A cache of about `capacity` objects (0 disables it).
    pub fn new(capacity: usize) -> ObjectCache {
        ObjectCache {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            per_shard: capacity.div_ceil(SHARDS),
            hasher: RandomState::new(),
        }
    }

    fn shard(&self, unique_identifier: &str) -> &Mutex<Shard> {
        let index = (self.hasher.hash_one(unique_identifier) as usize) % SHARDS;
        &self.shards[index]
    }

    pub fn get(&self, unique_identifier: &str) -> Option<Arc<StoredObject>> {
        let shard = self.shard(unique_identifier).lock().ok()?;
        shard.objects.get(unique_identifier).cloned()
    }

    /// Remembers an object as it now is (after a read, or a committed change). A copy older than
    /// the one cached is ignored: two commits of one object may reach this in either order.
    pub fn put(&self, object: Arc<StoredObject>) {
        self.put_if(object, || true);
    }

    /// [`ObjectCache::put`] if `still_valid` says so, asked under the lock that
    /// [`ObjectCache::forget`] takes: what `forget` dropped after `still_valid` turned false
    /// cannot come back.
    pub fn put_if(&self, object: Arc<StoredObject>, still_valid: impl FnOnce() -> bool) {
        if self.per_shard == 0 {
            return;
        }
        let Ok(mut shard) = self.shard(&object.unique_identifier).lock() else { return };
        if !still_valid() {
            return;
        }
        if shard.objects.get(&object.unique_identifier).is_some_and(|cached| cached.revision >= object.revision) {
            return;
        }
        let uid = object.unique_identifier.clone();
        if shard.objects.insert(uid.clone(), object).is_none() {
            shard.order.push_back(uid);
        }
        while shard.objects.len() > self.per_shard {
            let Some(oldest) = shard.order.pop_front() else { break };
            shard.objects.remove(&oldest);
        }
    }

    /// Forgets every object (the store reopened from disk: what is cached may not be there).
    pub fn clear(&self) {
        for shard in &self.shards {
            if let Ok(mut shard) = shard.lock() {
                *shard = Shard::default();
            }
        }
    }

    /// Forgets an object (a commit that may have failed half way cannot leave a stale copy).
    pub fn forget(&self, unique_identifier: &str) {
        if let Ok(mut shard) = self.shard(unique_identifier).lock()
            && shard.objects.remove(unique_identifier).is_some()
        {
            shard.order.retain(|u| u != unique_identifier);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(uid: &str, revision: u64) -> StoredObject {
        StoredObject { unique_identifier: uid.into(), owner: "o".into(), object: None, attributes: vec![], revision }
    }

    #[test]
    fn keeps_the_latest_and_evicts_the_oldest() {
        let cache = ObjectCache::new(SHARDS); // one object per shard
        cache.put(Arc::new(object("a", 1)));
        cache.put(Arc::new(object("a", 3)));
        cache.put(Arc::new(object("a", 2)));
        assert_eq!(cache.get("a").map(|o| o.revision), Some(3), "a late, older copy must not win");
        for i in 0..1000 {
            cache.put(Arc::new(object(&format!("k{i}"), 1)));
        }
        let kept = (0..1000).filter(|i| cache.get(&format!("k{i}")).is_some()).count();
        assert!(kept <= SHARDS, "{kept} objects kept");
        cache.forget("k999");
        assert!(cache.get("k999").is_none());
    }
}
