//! The locks that serialize writers of the same object.
//!
//! Striped: a commit takes the stripes of its objects, in order, so that the revision a change
//! read is still current when it is written, the index sees the changes of one object in the
//! order they were made, and two commits never wait for each other in a cycle.

use std::sync::{Mutex, MutexGuard};

const STRIPES: usize = 256;

pub(crate) struct WriteLocks {
    stripes: Vec<Mutex<()>>,
}

impl WriteLocks {
    pub(crate) fn new() -> WriteLocks {
        WriteLocks { stripes: (0..STRIPES).map(|_| Mutex::new(())).collect() }
    }

    /// Locks the stripes of these identifiers, in stripe order so that two commits never wait
    /// for each other.
    pub(crate) fn lock<'a>(&self, identifiers: impl Iterator<Item = &'a str>) -> Vec<MutexGuard<'_, ()>> {
        let mut stripes: Vec<usize> = identifiers.map(stripe_of).collect();
        stripes.sort_unstable();
        stripes.dedup();
        // A panic while holding a stripe leaves nothing half-done in memory: carry on.
        stripes.into_iter().map(|s| self.stripes[s].lock().unwrap_or_else(|p| p.into_inner())).collect()
    }

    /// Locks every stripe, in order: once held, every writer that started before has finished.
    pub(crate) fn lock_all(&self) -> Vec<MutexGuard<'_, ()>> {
        self.stripes.iter().map(|s| s.lock().unwrap_or_else(|p| p.into_inner())).collect()
    }
}

fn stripe_of(unique_identifier: &str) -> usize {
    // FNV-1a: identifiers are server-chosen, so no adversary picks collisions.
    let hash = unique_identifier
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    usize::try_from(hash % STRIPES as u64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripes_spread_identifiers() {
        let used: std::collections::HashSet<_> = (0..1000).map(|i| stripe_of(&format!("uid-{i}"))).collect();
        assert!(used.len() > STRIPES / 2, "{} stripes used", used.len());
    }

    #[test]
    fn locks_are_taken_once_per_stripe() {
        let locks = WriteLocks::new();
        let guards = locks.lock(["a", "a", "b"].into_iter());
        assert!(guards.len() <= 2);
    }
}
