//! Grants: rights on an object, or on every object of an Object Group, given to another identity.
//!
//! They are kept in the store's settings (`grant/...`, sealed like objects) and in memory: the
//! store is read once at start, and each change is written to both. A request reads only the
//! memory copy, under a read lock, and only when the caller is not the object's owner.
//!
//! On a store several servers share (PostgreSQL), another node may change the grants at any
//! time, and a grant it removed must stop working here at once. Every change also writes a new
//! random epoch (`grants-epoch`); before the grants are read for a decision, a shared store's
//! epoch is read (one small query) and the grants are loaded again when it changed. A store that
//! cannot be read then grants nothing: the safe side.
//!
//! A grant remembers who made it, with that identity's role and tenant then: a grant on an Object
//! Group reaches only the objects of the group its maker had authority over (its own, or those of
//! its tenant for a custodian, or all for an administrator), so that nobody can reach another
//! owner's keys by granting itself a group they are in.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use keyward_store::{CommitTicket, ObjectStore, StoreResult};

use super::{Authority, Right, Role};
use crate::ClientIdentity;

/// The prefix of the settings that hold grants.
const PREFIX: &str = "grant/";

/// The setting every change of the grants rewrites with a new random value (outside `PREFIX`).
const EPOCH_KEY: &str = "grants-epoch";

/// What a grant is on.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GrantTarget {
    /// One object, by Unique Identifier.
    Object(String),
    /// Every object whose Object Group attribute has this value, now or later.
    Group(String),
}

impl GrantTarget {
    fn kind(&self) -> &'static str {
        match self {
            GrantTarget::Object(_) => "object",
            GrantTarget::Group(_) => "group",
        }
    }

    pub fn value(&self) -> &str {
        match self {
            GrantTarget::Object(v) | GrantTarget::Group(v) => v,
        }
    }
}

/// One grant: `grantee` may do `rights` on `target`, as `granted_by` allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub target: GrantTarget,
    pub grantee: String,
    pub rights: Vec<Right>,
    /// Who made it, with the authority it had then.
    pub granted_by: Authority,
}

impl Grant {
    /// Whether the grant is to `client`: to its identity, or to one of its identity groups
    /// (`group:NAME`).
    pub fn is_for(&self, client: &ClientIdentity) -> bool {
        self.grantee == client.name
            || self
                .grantee
                .strip_prefix(super::GROUP_GRANTEE_PREFIX)
                .is_some_and(|group| client.groups.iter().any(|g| g == group))
    }

    fn setting_key(&self) -> String {
        format!(
            "{PREFIX}{}/{}/{}/{}",
            self.target.kind(),
            hex(self.target.value()),
            hex(&self.grantee),
            hex(&self.granted_by.name)
        )
    }

    /// The stored form: one `field=value` a line, free text in hexadecimal (identifiers and
    /// identities may hold any printable character, a group name anything).
    fn encode(&self) -> Vec<u8> {
        let rights: Vec<&str> = self.rights.iter().map(|r| r.name()).collect();
        format!(
            "kind={}\ntarget={}\ngrantee={}\nby={}\nby_role={}\nby_tenant={}\nrights={}\n",
            self.target.kind(),
            hex(self.target.value()),
            hex(&self.grantee),
            hex(&self.granted_by.name),
            self.granted_by.role.name(),
            self.granted_by.tenant.as_deref().map(hex).unwrap_or_default(),
            rights.join(","),
        )
        .into_bytes()
    }

    fn decode(bytes: &[u8]) -> Option<Grant> {
        let text = std::str::from_utf8(bytes).ok()?;
        let fields: HashMap<&str, &str> = text.lines().filter_map(|l| l.split_once('=')).collect();
        let target = unhex(fields.get("target")?)?;
        let target = match *fields.get("kind")? {
            "object" => GrantTarget::Object(target),
            "group" => GrantTarget::Group(target),
            _ => return None,
        };
        let tenant = match fields.get("by_tenant").filter(|t| !t.is_empty()) {
            Some(t) => Some(unhex(t)?),
            None => None,
        };
        let rights = super::rights::parse_list(fields.get("rights")?).ok()?;
        Some(Grant {
            target,
            grantee: unhex(fields.get("grantee")?)?,
            rights,
            granted_by: Authority {
                name: unhex(fields.get("by")?)?,
                role: Role::parse(fields.get("by_role")?)?,
                tenant: tenant.map(Arc::from),
            },
        })
    }
}

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<String> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> =
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect();
    String::from_utf8(bytes?).ok()
}

/// Every grant, in memory, by target.
#[derive(Default)]
pub struct Grants {
    by_target: RwLock<HashMap<GrantTarget, Vec<Grant>>>,
    /// Set on a store other servers share: the store, and the epoch the memory copy was read at.
    shared: Option<Shared>,
}

struct Shared {
    store: Arc<dyn ObjectStore>,
    epoch: Mutex<Option<Vec<u8>>>,
}

impl std::fmt::Debug for Grants {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Grants").field("shared", &self.shared.is_some()).finish_non_exhaustive()
    }
}

/// Whether a request has read the grants fresh already: on a store other servers share, a request
/// reads them (their epoch: one database query) once, not at each access decision, which for a
/// Locate beyond the caller's own objects would be once per candidate.
#[derive(Debug, Default)]
pub struct GrantsRead(AtomicBool);

impl Grants {
    /// Reads the grants the store holds. A record that cannot be read is skipped and logged: it
    /// grants nothing, which is the safe side.
    pub fn load(store: &dyn ObjectStore) -> StoreResult<Grants> {
        let grants = Grants::default();
        *grants.by_target.write().unwrap_or_else(|e| e.into_inner()) = read_all(store)?;
        Ok(grants)
    }

    /// [`Grants::load`], kept fresh on a store other servers share (see the module's notes).
    pub fn load_from(store: Arc<dyn ObjectStore>) -> StoreResult<Grants> {
        if !store.waits_on_network() {
            return Grants::load(store.as_ref());
        }
        let epoch = store.setting(EPOCH_KEY)?.map(|e| e.to_vec());
        let grants = Grants::load(store.as_ref())?;
        Ok(Grants { shared: Some(Shared { store, epoch: Mutex::new(epoch) }), ..grants })
    }

    /// On a shared store, loads the grants again if another server changed them. False when the
    /// store could not be read: nothing is granted then.
    fn refresh(&self) -> bool {
        let Some(shared) = &self.shared else { return true };
        let result = (|| -> StoreResult<()> {
            let epoch = shared.store.setting(EPOCH_KEY)?.map(|e| e.to_vec());
            let mut known = shared.epoch.lock().unwrap_or_else(|e| e.into_inner());
            if *known != epoch {
                // Read after the epoch: a change landing meanwhile makes the next check reload.
                let fresh = read_all(shared.store.as_ref())?;
                *self.by_target.write().unwrap_or_else(|e| e.into_inner()) = fresh;
                *known = epoch;
            }
            Ok(())
        })();
        result.inspect_err(|error| tracing::error!(%error, "the grants cannot be read: none is honoured")).is_ok()
    }

    /// [`Grants::refresh`], once per request.
    fn refresh_for(&self, read: &GrantsRead) -> bool {
        if self.shared.is_none() || read.0.load(Ordering::Acquire) {
            return true;
        }
        let fresh = self.refresh();
        if fresh {
            read.0.store(true, Ordering::Release);
        }
        fresh
    }

    /// Marks a change for the other servers of a shared store.
    fn new_epoch(&self, store: &dyn ObjectStore) -> StoreResult<CommitTicket> {
        let epoch = keyward_crypto::random::random_bytes(16)
            .map_err(|e| keyward_store::StoreError::Backend(format!("no randomness: {e}")))?;
        let ticket = store.put_setting(EPOCH_KEY, Some(&epoch))?;
        if let Some(shared) = &self.shared {
            *shared.epoch.lock().unwrap_or_else(|e| e.into_inner()) = Some(epoch);
        }
        Ok(ticket)
    }

    /// Adds `grant`'s rights to those its maker already gave the grantee on the target (stored
    /// and in memory); returns the grant as it now stands.
    pub fn add(&self, store: &dyn ObjectStore, grant: Grant) -> StoreResult<(Grant, CommitTicket)> {
        self.refresh();
        let mut map = self.by_target.write().unwrap_or_else(|e| e.into_inner());
        let list = map.entry(grant.target.clone()).or_default();
        let merged = match list.iter_mut().find(|g| same_maker(g, &grant)) {
            Some(existing) => {
                let mut rights = existing.rights.clone();
                rights.extend_from_slice(&grant.rights);
                rights.sort();
                rights.dedup();
                Grant { rights, ..existing.clone() }
            }
            None => grant,
        };
        // Durable no later than the epoch written after it, whose ticket is returned.
        let _grant_written = store.put_setting(&merged.setting_key(), Some(&merged.encode()))?;
        match list.iter_mut().find(|g| same_maker(g, &merged)) {
            Some(existing) => *existing = merged.clone(),
            None => list.push(merged.clone()),
        }
        // The epoch is written after the grant, so a server that sees it sees the grant.
        let ticket = self.new_epoch(store)?;
        Ok((merged, ticket))
    }

    /// Takes `rights` (all when `None`) away from the grants on `target` to `grantee` that
    /// `may_remove` accepts; returns what changed (a grant left without rights is deleted).
    pub fn remove(
        &self,
        store: &dyn ObjectStore,
        target: &GrantTarget,
        grantee: &str,
        rights: Option<&[Right]>,
        may_remove: impl Fn(&Grant) -> bool,
    ) -> StoreResult<(Vec<Grant>, Option<CommitTicket>)> {
        self.refresh();
        let mut map = self.by_target.write().unwrap_or_else(|e| e.into_inner());
        let Some(list) = map.get_mut(target) else { return Ok((Vec::new(), None)) };
        let mut changed = Vec::new();
        let mut ticket = None;
        for grant in list.iter_mut().filter(|g| g.grantee == grantee && may_remove(g)) {
            let before = grant.rights.len();
            match rights {
                Some(rights) => grant.rights.retain(|r| !rights.contains(r)),
                None => grant.rights.clear(),
            }
            if grant.rights.len() == before {
                continue;
            }
            let value = (!grant.rights.is_empty()).then(|| grant.encode());
            ticket = Some(store.put_setting(&grant.setting_key(), value.as_deref())?);
            changed.push(grant.clone());
        }
        list.retain(|g| !g.rights.is_empty());
        if list.is_empty() {
            map.remove(target);
        }
        if ticket.is_some() {
            ticket = Some(self.new_epoch(store)?);
        }
        Ok((changed, ticket))
    }

    /// Every grant `keep` accepts, ordered by target and grantee.
    pub fn list(&self, keep: impl Fn(&Grant) -> bool) -> Vec<Grant> {
        if !self.refresh() {
            return Vec::new();
        }
        let map = self.by_target.read().unwrap_or_else(|e| e.into_inner());
        let mut found: Vec<Grant> = map.values().flatten().filter(|g| keep(g)).cloned().collect();
        found.sort_by(|a, b| {
            (&a.target, &a.grantee, &a.granted_by.name).cmp(&(&b.target, &b.grantee, &b.granted_by.name))
        });
        found
    }

    /// True when `client` holds any grant (itself or through a group): only then does its Locate
    /// look past its own objects.
    pub fn has_any(&self, client: &ClientIdentity, read: &GrantsRead) -> bool {
        if !self.refresh_for(read) {
            return false;
        }
        let map = self.by_target.read().unwrap_or_else(|e| e.into_inner());
        map.values().flatten().any(|g| g.is_for(client))
    }

    /// Calls `visit` with each grant to `client` (itself or one of its groups) on one of
    /// `targets`; the grants are refreshed once per request (`read`).
    pub(crate) fn each_for<'t>(
        &self,
        client: &ClientIdentity,
        targets: impl IntoIterator<Item = &'t GrantTarget>,
        read: &GrantsRead,
        mut visit: impl FnMut(&Grant),
    ) {
        if !self.refresh_for(read) {
            return;
        }
        let map = self.by_target.read().unwrap_or_else(|e| e.into_inner());
        if map.is_empty() {
            return;
        }
        for target in targets {
            for grant in map.get(target).into_iter().flatten().filter(|g| g.is_for(client)) {
                visit(grant);
            }
        }
    }
}

/// Every grant the store holds, by target. A record that cannot be read is skipped and logged: it
/// grants nothing, which is the safe side.
fn read_all(store: &dyn ObjectStore) -> StoreResult<HashMap<GrantTarget, Vec<Grant>>> {
    let mut map: HashMap<GrantTarget, Vec<Grant>> = HashMap::new();
    for (key, value) in store.settings(PREFIX)? {
        match Grant::decode(&value) {
            Some(grant) => map.entry(grant.target.clone()).or_default().push(grant),
            None => tracing::warn!(%key, "a stored grant cannot be read; it grants nothing"),
        }
    }
    Ok(map)
}

fn same_maker(a: &Grant, b: &Grant) -> bool {
    a.target == b.target && a.grantee == b.grantee && a.granted_by.name == b.granted_by.name
}

#[cfg(test)]
mod tests {
    use keyward_store::MemoryStore;

    use super::*;

    fn grant(target: GrantTarget, rights: &[Right]) -> Grant {
        Grant {
            target,
            grantee: "spiffe://example.org/bob".into(),
            rights: rights.to_vec(),
            granted_by: Authority { name: "alice\u{e9}".into(), role: Role::Custodian, tenant: Some("acme".into()) },
        }
    }

    /// A store other servers share (as PostgreSQL is), counting the reads of the grants' epoch.
    struct Shared {
        inner: MemoryStore,
        epoch_reads: std::sync::atomic::AtomicUsize,
    }

    impl ObjectStore for Shared {
        fn get(&self, uid: &str) -> StoreResult<Option<Arc<keyward_store::StoredObject>>> {
            self.inner.get(uid)
        }
        fn commit(&self, changes: Vec<keyward_store::Change>) -> StoreResult<CommitTicket> {
            self.inner.commit(changes)
        }
        fn candidates(&self, terms: &[keyward_store::IndexTerm]) -> StoreResult<Vec<String>> {
            self.inner.candidates(terms)
        }
        fn read_fence(&self) -> CommitTicket {
            self.inner.read_fence()
        }
        fn flush(&self) -> StoreResult<()> {
            self.inner.flush()
        }
        fn waits_on_network(&self) -> bool {
            true
        }
        fn setting(&self, key: &str) -> StoreResult<Option<zeroize::Zeroizing<Vec<u8>>>> {
            if key == EPOCH_KEY {
                self.epoch_reads.fetch_add(1, Ordering::SeqCst);
            }
            self.inner.setting(key)
        }
        fn settings(&self, prefix: &str) -> StoreResult<Vec<(String, zeroize::Zeroizing<Vec<u8>>)>> {
            self.inner.settings(prefix)
        }
        fn put_setting(&self, key: &str, value: Option<&[u8]>) -> StoreResult<CommitTicket> {
            self.inner.put_setting(key, value)
        }
    }

    /// On a shared store a request reads the grants' epoch once, however many access decisions
    /// it makes (a Locate beyond the caller's objects makes one per candidate); the next request
    /// reads it again, so a change made through another server holds at once.
    #[test]
    fn a_request_reads_a_shared_stores_grants_once() {
        let store = Arc::new(Shared { inner: MemoryStore::new(crate::record_schema::schema()), epoch_reads: 0.into() });
        let grants = Grants::load_from(Arc::clone(&store) as Arc<dyn ObjectStore>).unwrap();
        let loaded = store.epoch_reads.load(Ordering::SeqCst);
        let bob = crate::ClientIdentity::new("spiffe://example.org/bob");
        let targets = [GrantTarget::Object("k".into())];
        let request = GrantsRead::default();
        for _ in 0..50 {
            grants.each_for(&bob, &targets, &request, |_| {});
        }
        assert!(!grants.has_any(&bob, &request));
        assert_eq!(store.epoch_reads.load(Ordering::SeqCst) - loaded, 1);
        let next = GrantsRead::default();
        grants.each_for(&bob, &targets, &next, |_| {});
        assert_eq!(store.epoch_reads.load(Ordering::SeqCst) - loaded, 2);
    }

    #[test]
    fn grants_survive_a_reload_and_merge_by_maker() {
        let store = MemoryStore::new(crate::record_schema::schema());
        let grants = Grants::default();
        let target = GrantTarget::Group("a/b=c\nd".into());
        let _ = grants.add(&store, grant(target.clone(), &[Right::Encrypt])).unwrap();
        let (merged, _) = grants.add(&store, grant(target.clone(), &[Right::Get, Right::Encrypt])).unwrap();
        assert_eq!(merged.rights, vec![Right::Get, Right::Encrypt]);
        let reloaded = Grants::load(&store).unwrap();
        assert_eq!(reloaded.list(|_| true), vec![merged.clone()]);

        let (changed, _) = reloaded.remove(&store, &target, &merged.grantee, Some(&[Right::Get]), |_| true).unwrap();
        assert_eq!(changed[0].rights, vec![Right::Encrypt]);
        reloaded.remove(&store, &target, &merged.grantee, None, |_| true).unwrap();
        assert!(reloaded.list(|_| true).is_empty());
        assert!(Grants::load(&store).unwrap().list(|_| true).is_empty());
        assert!(!reloaded.has_any(&crate::ClientIdentity::new(merged.grantee.as_str()), &GrantsRead::default()));
    }
}
