//! What a record is, as the store sees it: the bytes and the index terms that keyward-core's
//! record schema makes of an object (`keyward_core::record_schema`). The store seals, keeps and
//! indexes what it is given; which attributes are indexed, and how an object is encoded on disk,
//! are not its decisions.

use std::sync::Arc;

use zeroize::Zeroizing;

use crate::{IndexTerm, StoreResult, StoredObject};

/// A record schema (keyward-core's). Its encoding is versioned and independent of the wire: the
/// store keeps what it writes for as long as the store lives.
pub trait RecordSchema: Send + Sync + 'static {
    /// The record's plaintext, before sealing (the revision is kept outside, in the clear header).
    fn encode(&self, object: &StoredObject) -> StoreResult<Zeroizing<Vec<u8>>>;

    /// The object of a record made by [`RecordSchema::encode`], at `revision`.
    fn decode(&self, bytes: &[u8], revision: u64) -> StoreResult<StoredObject>;

    /// Every term the object is found by, and every claim it makes ([`crate::IndexKind::NameClaim`]:
    /// at most one object holds each), sorted and without duplicates.
    fn index_terms(&self, object: &StoredObject) -> Vec<IndexTerm>;
}

/// A schema as the stores hold it.
pub type Schema = Arc<dyn RecordSchema>;

/// keyward-core's schema, compiled into this crate for its own unit tests: a dev-dependency on
/// keyward-core would link a second copy of this crate, whose types are not this one's.
#[cfg(test)]
#[path = "../../core/src/record_schema/mod.rs"]
mod core_record_schema;

/// The schema the store's unit tests open stores with: keyward-core's.
#[cfg(test)]
pub(crate) fn schema_for_tests() -> Schema {
    core_record_schema::schema()
}
