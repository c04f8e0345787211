//! What an operation sees: who asks, when, in which version, and the objects of the batch.
//!
//! Changes made by the operations of a batch are kept here until the whole batch has run, then
//! committed together. Reads see earlier changes of the same batch, a failed operation's changes
//! are dropped, and an Undo batch is simply never committed.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use keyward_kmip::UniqueIdentifierRef;
use keyward_kmip::enums::Data as DataKind;
use keyward_kmip::enums::Operation;
use keyward_kmip::enums::UniqueIdentifier as ResultKind;
use keyward_kmip::payloads::common::DataRef;
use keyward_store::{Change, IndexTerm, StoredObject};
use keyward_ttlv::KmipVersion;
use zeroize::Zeroizing;

use crate::access::{Right, Role, right_of};
use crate::audit::Involved;
use crate::error::{OpError, OpResult};
use crate::lifecycle;
use crate::{ClientIdentity, Services};

/// The objects a batch has created or changed, not yet committed.
#[derive(Default)]
pub(crate) struct Pending {
    objects: HashMap<String, PendingObject>,
    /// Identifiers in the order they were first touched, to commit in that order.
    order: Vec<String>,
    /// What the operation running now replaced, to put back if it fails: each identifier with
    /// its earlier pending state (None: it had none). A journal rather than a copy of the batch's
    /// objects before every item, which made a batch of n changes cost n² object copies.
    undo: Vec<(String, Option<PendingObject>)>,
    /// The length of `order` when the running operation began.
    order_at_checkpoint: usize,
    /// The Asynchronous Correlation Values of the operations Polls of this batch ran: done once
    /// the batch is answered, pending again if it is not committed. A failed Poll keeps them (the
    /// operation failed, which is its result), so [`Pending::roll_back`] leaves them.
    pub(crate) polled: Vec<Vec<u8>>,
    /// The Asynchronous Correlation Values of the operations this batch deferred, for the worker
    /// to run once the batch is answered.
    pub(crate) deferred: Vec<Vec<u8>>,
}

struct PendingObject {
    object: StoredObject,
    inserted: bool,
    /// Only bookkeeping changed (Fresh after a Get): the response does not depend on it.
    bookkeeping: bool,
}

impl Pending {
    pub(crate) fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Marks the start of an operation: [`Pending::roll_back`] returns here.
    pub(crate) fn checkpoint(&mut self) {
        self.undo.clear();
        self.order_at_checkpoint = self.order.len();
    }

    /// Forgets every change since the last checkpoint.
    pub(crate) fn roll_back(&mut self) {
        for (uid, earlier) in self.undo.drain(..).rev() {
            match earlier {
                Some(earlier) => self.objects.insert(uid, earlier),
                None => self.objects.remove(&uid),
            };
        }
        self.order.truncate(self.order_at_checkpoint);
    }

    fn put(&mut self, uid: String, object: PendingObject) {
        let earlier = self.objects.insert(uid.clone(), object);
        if earlier.is_none() {
            self.order.push(uid.clone());
        }
        self.undo.push((uid, earlier));
    }

    /// True when every pending change is bookkeeping ([`Context::update_bookkeeping`]): if it
    /// cannot be written, the response may still be sent without it.
    pub(crate) fn only_bookkeeping(&self) -> bool {
        self.objects.values().all(|p| p.bookkeeping)
    }

    pub(crate) fn into_changes(mut self) -> Vec<Change> {
        self.order
            .iter()
            .filter_map(|uid| self.objects.remove(uid))
            .map(|p| if p.inserted { Change::Insert(p.object) } else { Change::Update(p.object) })
            .collect()
    }
}

/// What the batch remembers between its operations: the ID Placeholder (1.x and 2.x), the results
/// of earlier operations and every identifier returned so far (2.x indirect references), and the
/// Data output of the cryptographic operations (2.1 §7.9 Data references).
#[derive(Default)]
pub(crate) struct BatchMemory {
    pub(crate) id_placeholder: Option<String>,
    results: HashMap<u32, String>,
    returned: Vec<String>,
    data_outputs: Vec<(DataKind, Zeroizing<Vec<u8>>)>,
    /// Whether this request read the grants fresh already (a shared store's: once a request).
    pub(crate) grants_read: crate::access::GrantsRead,
}

/// A [`BatchMemory`] as it was before an operation. The lists only grow, so their lengths do;
/// the placeholder and the results (one per kind) are small.
pub(crate) struct MemoryCheckpoint {
    id_placeholder: Option<String>,
    results: HashMap<u32, String>,
    returned: usize,
    data_outputs: usize,
}

impl BatchMemory {
    pub(crate) fn checkpoint(&self) -> MemoryCheckpoint {
        MemoryCheckpoint {
            id_placeholder: self.id_placeholder.clone(),
            results: self.results.clone(),
            returned: self.returned.len(),
            data_outputs: self.data_outputs.len(),
        }
    }

    pub(crate) fn roll_back(&mut self, to: MemoryCheckpoint) {
        self.id_placeholder = to.id_placeholder;
        self.results = to.results;
        self.returned.truncate(to.returned);
        self.data_outputs.truncate(to.data_outputs);
    }
}

/// The context of one operation.
pub struct Context<'a> {
    pub(crate) services: &'a Services,
    pub client: &'a ClientIdentity,
    /// The operation running: what [`Context::read`] checks the caller's right for.
    pub operation: Operation,
    pub version: KmipVersion,
    /// The time of the request, in seconds: every operation of a batch sees the same.
    pub now: i64,
    pub(crate) pending: &'a mut Pending,
    pub(crate) memory: &'a mut BatchMemory,
    /// Multi-part operations in progress, shared by all requests.
    pub streams: &'a crate::streams::Streams,
    /// The server's PKCS#11 module, when one is configured (the PKCS#11 operation).
    pub(crate) pkcs11: Option<&'a crate::pkcs11_relay::Pkcs11Relay>,
    /// The server's generator for RNG Seed and RNG Retrieve, shared by all requests.
    pub(crate) generator: &'a keyward_crypto::random::SeededGenerator,
    /// Operations deferred for a later Poll (see `asynchronous`), shared by all requests.
    pub(crate) asynchronous: &'a crate::asynchronous::Asynchronous,
    /// 2.x Ephemeral: the client does not want the operation's Data output returned (2.1 §8.3).
    pub ephemeral: bool,
    /// The operation and the credential's entity, for operation policies (`operation_policy`).
    pub(crate) policy_request: crate::operation_policy::PolicyRequest,
    /// The identifiers the operation refers to and produces, for the audit trail; `None` when
    /// nobody audits (a cell: references are resolved through `&self`).
    pub(crate) involved: Option<&'a RefCell<Involved>>,
}

impl Context<'_> {
    /// True when the client administers every object.
    pub fn is_administrator(&self) -> bool {
        self.role() == Role::Administrator
    }

    /// The role the client acts with.
    pub fn role(&self) -> Role {
        self.services.policy.role_of(self.client)
    }

    /// The identifier an operation refers to: given directly, by an indirect 2.x reference, or,
    /// when absent, the ID Placeholder left by an earlier operation of the batch.
    pub fn resolve(&self, reference: Option<&UniqueIdentifierRef>) -> OpResult<String> {
        let resolved = self.resolve_reference(reference);
        if let (Ok(uid), Some(involved)) = (&resolved, self.involved) {
            involved.borrow_mut().input(uid);
        }
        resolved
    }

    fn resolve_reference(&self, reference: Option<&UniqueIdentifierRef>) -> OpResult<String> {
        let missing = |what: &str| OpError::MissingData(format!("no Unique Identifier given and {what}"));
        match reference {
            None => self.memory.id_placeholder.clone().ok_or_else(|| missing("no ID Placeholder is set")),
            Some(UniqueIdentifierRef::Text(uid)) => Ok(uid.clone()),
            Some(UniqueIdentifierRef::Result(ResultKind::IDPlaceholder)) => {
                self.memory.id_placeholder.clone().ok_or_else(|| missing("no ID Placeholder is set"))
            }
            Some(UniqueIdentifierRef::Result(kind)) => self
                .memory
                .results
                .get(&kind.0)
                .cloned()
                .ok_or_else(|| missing(&format!("no earlier {kind:?} in the batch"))),
            Some(UniqueIdentifierRef::Index(index)) => {
                let returned = &self.memory.returned;
                let position = if *index >= 0 {
                    usize::try_from(*index).ok()
                } else {
                    returned.len().checked_sub(index.unsigned_abs() as usize)
                };
                position
                    .and_then(|p| returned.get(p))
                    .cloned()
                    .ok_or_else(|| OpError::InvalidField(format!("no Unique Identifier number {index} in this batch")))
            }
        }
    }

    /// Reads an object the client may see, with the dates that have arrived applied, to change it.
    pub fn load(&self, uid: &str) -> OpResult<StoredObject> {
        self.read(uid).map(Arc::unwrap_or_clone)
    }

    /// Reads an object the client may see, with the dates that have arrived applied, to look at
    /// it: shared with the store's cache, copied only when a date moved its state. The client
    /// needs the right the running operation needs (see `access::right_of`).
    pub fn read(&self, uid: &str) -> OpResult<Arc<StoredObject>> {
        self.read_for(uid, right_of(self.operation))
    }

    /// Reads an object with another right than the running operation's: an object the request
    /// names beside its subject (a wrapping key, the base of Derive Key, an issuer).
    pub fn load_for(&self, uid: &str, right: Right) -> OpResult<StoredObject> {
        self.read_for(uid, Some(right)).map(Arc::unwrap_or_clone)
    }

    /// See [`Context::read`] and [`Context::load_for`].
    pub fn read_for(&self, uid: &str, right: Option<Right>) -> OpResult<Arc<StoredObject>> {
        let mut object = match self.pending.objects.get(uid) {
            Some(pending) => Arc::new(pending.object.clone()),
            None => self.services.store.get(uid)?.ok_or_else(|| OpError::ObjectNotFound(uid.to_string()))?,
        };
        // An object the client may not see is indistinguishable from one that does not exist
        // (access::Access::Hidden: the same reason and words).
        crate::access::enforce::check(self, &object, right)?;
        crate::operation_policy::check(self, &object)?;
        if lifecycle::effective_state(&object, self.now) != lifecycle::stored_state(&object) {
            lifecycle::refresh(Arc::make_mut(&mut object), self.now);
        }
        Ok(object)
    }

    /// Reads an object whoever owns it, for the server's own use (its issuing CA), never on a
    /// client's behalf: `None` when there is no such object.
    pub(crate) fn read_as_server(&self, uid: &str) -> OpResult<Option<Arc<StoredObject>>> {
        let mut object = match self.pending.objects.get(uid) {
            Some(pending) => Arc::new(pending.object.clone()),
            None => match self.services.store.get(uid)? {
                Some(object) => object,
                None => return Ok(None),
            },
        };
        if lifecycle::effective_state(&object, self.now) != lifecycle::stored_state(&object) {
            lifecycle::refresh(Arc::make_mut(&mut object), self.now);
        }
        Ok(Some(object))
    }

    /// Resolves a reference and reads the object, to change it.
    pub fn load_ref(&self, reference: Option<&UniqueIdentifierRef>) -> OpResult<StoredObject> {
        self.load(&self.resolve(reference)?)
    }

    /// Resolves a reference and reads the object, to look at it (see [`Context::read`]).
    pub fn read_ref(&self, reference: Option<&UniqueIdentifierRef>) -> OpResult<Arc<StoredObject>> {
        self.read(&self.resolve(reference)?)
    }

    /// Records a new object.
    pub fn insert(&mut self, object: StoredObject) {
        let uid = object.unique_identifier.clone();
        if let Some(involved) = self.involved {
            let mut involved = involved.borrow_mut();
            involved.output(&uid);
            involved.changed = true;
        }
        self.pending.put(uid, PendingObject { object, inserted: true, bookkeeping: false });
    }

    /// Records a changed object (read with [`Context::load`]); its Last Change Date becomes now.
    pub fn update(&mut self, object: StoredObject) {
        self.record_update(object, false);
    }

    /// Records a change that only keeps books about the object (Fresh becoming false once a key
    /// is handed out): when the store cannot take it (a full disk), the operation still answers,
    /// without the change, rather than refuse a Get of a key it holds.
    pub fn update_bookkeeping(&mut self, object: StoredObject) {
        self.record_update(object, true);
    }

    fn record_update(&mut self, mut object: StoredObject, bookkeeping: bool) {
        crate::attributes::set(
            &mut object,
            keyward_kmip::attributes::Attribute::LastChangeDate(keyward_kmip::DateTime(self.now)),
        );
        let uid = object.unique_identifier.clone();
        let earlier = self.pending.objects.get(&uid);
        let inserted = earlier.is_some_and(|p| p.inserted);
        // An object changed for real earlier in the batch stays a real change.
        let bookkeeping = bookkeeping && earlier.is_none_or(|p| p.bookkeeping);
        if let Some(involved) = self.involved {
            let mut involved = involved.borrow_mut();
            if !inserted {
                involved.input(&uid);
            }
            involved.changed = true;
        }
        self.pending.put(uid, PendingObject { object, inserted, bookkeeping });
    }

    /// A fresh Unique Identifier: a version 7 UUID (RFC 9562 §5.7), 74 random bits after the
    /// creation time in milliseconds. Time-ordered identifiers land beside each other in the
    /// store's ordered trees, so a Create on a store of millions touches pages that are already
    /// in memory, where random (version 4) ones read a different page from disk nearly every
    /// time (docs/performance.md, "A store of a million objects"). The time they show is no
    /// secret a caller does not already have: an object's Initial Date is an attribute.
    pub fn new_unique_identifier(&self) -> String {
        uuid::Uuid::now_v7().to_string()
    }

    /// Sets the ID Placeholder for the following operations of the batch.
    pub fn set_placeholder(&mut self, uid: Option<String>) {
        self.memory.id_placeholder = uid;
    }

    /// Remembers the identifier an operation produced, for 2.x references to it.
    pub fn record_result(&mut self, kind: ResultKind, uid: &str) {
        self.memory.results.insert(kind.0, uid.to_string());
    }

    /// Remembers identifiers returned in a response, in order (2.x Integer references).
    pub fn record_returned<'u>(&mut self, uids: impl IntoIterator<Item = &'u String>) {
        let start = self.memory.returned.len();
        self.memory.returned.extend(uids.into_iter().cloned());
        if let Some(involved) = self.involved {
            let mut involved = involved.borrow_mut();
            self.memory.returned[start..].iter().for_each(|uid| involved.output(uid));
        }
    }

    /// The bytes of a Data field: given, or (2.1 §7.9) the Data output of an earlier operation of
    /// the batch, the last of a kind or the n-th (negative: counted back from this one).
    pub fn data_input(&self, data: &DataRef) -> OpResult<Zeroizing<Vec<u8>>> {
        let outputs = &self.memory.data_outputs;
        let found = match data {
            DataRef::Bytes(bytes) => return Ok(Zeroizing::new(bytes.as_slice().to_vec())),
            DataRef::Result(kind) => outputs.iter().rev().find(|(k, _)| k == kind),
            DataRef::Index(index) => {
                let position = if *index >= 0 {
                    usize::try_from(*index).ok()
                } else {
                    outputs.len().checked_sub(index.unsigned_abs() as usize)
                };
                position.and_then(|p| outputs.get(p))
            }
        };
        found
            .map(|(_, bytes)| bytes.clone())
            .ok_or_else(|| OpError::InvalidField(format!("no earlier Data output {data:?} in this batch")))
    }

    /// Records the Data output of an operation for later references, and returns it for the
    /// response unless the request is Ephemeral.
    pub fn data_output(
        &mut self,
        kind: DataKind,
        output: impl Into<Zeroizing<Vec<u8>>>,
    ) -> Option<keyward_kmip::Bytes> {
        let output = output.into();
        self.memory.data_outputs.push((kind, output.clone()));
        (!self.ephemeral).then(|| keyward_kmip::Bytes(output))
    }

    /// Identifiers of the objects that may match, newest first: the store's candidates for the
    /// index terms (restricted to the client's own objects unless it administers), preceded by
    /// the objects this batch has created.
    pub fn candidates(&self, terms: Vec<IndexTerm>) -> OpResult<Vec<String>> {
        self.candidates_among(terms, !self.is_administrator())
    }

    /// [`Context::candidates`], restricted to the client's own objects only when `own_only`
    /// (Locate looks past them for a client that holds grants or a role over a tenant, and reads
    /// each candidate through the access check).
    pub(crate) fn candidates_among(&self, mut terms: Vec<IndexTerm>, own_only: bool) -> OpResult<Vec<String>> {
        if own_only {
            terms.push(IndexTerm::owner(&self.client.name));
        }
        let mut found: Vec<String> = self
            .pending
            .order
            .iter()
            .rev()
            .filter(|uid| self.pending.objects.get(*uid).is_some_and(|p| p.inserted))
            .cloned()
            .collect();
        // The store's candidates are distinct; only this batch's new objects can repeat one (a
        // set of them, not a scan of everything found so far, which made large Locates quadratic).
        let inserted: HashSet<String> = found.iter().cloned().collect();
        let stored = self.services.store.candidates(&terms)?;
        found.reserve(stored.len());
        found.extend(stored.into_iter().filter(|uid| !inserted.contains(uid)));
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(uid: &str, revision: u64) -> PendingObject {
        let object = StoredObject {
            unique_identifier: uid.into(),
            owner: "alice".into(),
            object: None,
            attributes: Vec::new(),
            revision,
        };
        PendingObject { object, inserted: revision == 0, bookkeeping: false }
    }

    fn revisions(pending: &Pending) -> Vec<(String, u64)> {
        pending.order.iter().map(|uid| (uid.clone(), pending.objects[uid].object.revision)).collect()
    }

    /// An operation that inserts an object and changes one the batch already had, then fails,
    /// leaves the batch's objects as they were before it.
    #[test]
    fn a_roll_back_undoes_only_the_running_operation() {
        let mut pending = Pending::default();
        pending.checkpoint();
        pending.put("a".into(), object("a", 0));
        pending.checkpoint();
        pending.put("b".into(), object("b", 0));
        pending.put("b".into(), object("b", 0));
        pending.put("a".into(), object("a", 7));
        assert_eq!(revisions(&pending), [("a".into(), 7), ("b".into(), 0)]);
        pending.roll_back();
        assert_eq!(revisions(&pending), [("a".to_string(), 0)]);
        assert_eq!(pending.objects.len(), 1);
    }
}
