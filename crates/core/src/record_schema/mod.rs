//! The record schema: what a stored object's record is, and what it is found by. The store
//! seals, keeps and indexes what this gives it ([`keyward_store::RecordSchema`]); which
//! attributes are indexed and how an object is encoded on disk are decided here, once, and Locate
//! searches by the same list ([`index_term`]).
//!
//! Written against `keyward_store`'s public types only: the store's own unit tests compile this
//! module into the store crate (`keyward_store`'s `schema_for_tests`), so that they run the real
//! schema without a second copy of it.

mod format1;

use std::sync::Arc;

use keyward_kmip::attributes::{Attribute, IndexedAttribute};
use keyward_kmip::enums::State;
use keyward_store::{IndexKind, IndexTerm, RecordSchema, Schema, StoreResult, StoredObject};
use zeroize::Zeroizing;

/// KMIP managed objects as records of format 1, indexed by [`index_terms`].
pub struct KmipRecords;

impl RecordSchema for KmipRecords {
    fn encode(&self, object: &StoredObject) -> StoreResult<Zeroizing<Vec<u8>>> {
        format1::encode(object)
    }

    fn decode(&self, bytes: &[u8], revision: u64) -> StoreResult<StoredObject> {
        format1::decode(bytes, revision)
    }

    fn index_terms(&self, object: &StoredObject) -> Vec<IndexTerm> {
        index_terms(&object.owner, &object.attributes)
    }
}

/// The schema every store of this server opens with.
pub fn schema() -> Schema {
    Arc::new(KmipRecords)
}

/// The term an attribute instance contributes to the indexes, if it is indexed: the one list of
/// what the store indexes and Locate searches by.
pub fn index_term(attribute: &Attribute) -> Option<IndexTerm> {
    Some(match attribute {
        Attribute::Name(name) => IndexTerm::name(&name.name_value),
        Attribute::ObjectType(t) => IndexTerm::enumeration(IndexKind::ObjectType, t.0),
        Attribute::State(s) => IndexTerm::enumeration(IndexKind::State, s.0),
        Attribute::ObjectGroup(g) => IndexTerm::object_group(g),
        Attribute::CryptographicAlgorithm(a) => IndexTerm::enumeration(IndexKind::Algorithm, a.0),
        Attribute::RotateName(name) => IndexTerm::rotate_name(&name.rotate_name_value),
        Attribute::RotateAutomatic(true) => IndexTerm::automatic_rotation(),
        _ => return None,
    })
}

/// Every term of an object, sorted and without duplicates: its owner, what Locate searches by,
/// and, while the object is not destroyed (a destroyed object releases its names), a claim on
/// each Name (KMIP 1.4 §3.2, 2.1 §4.36: a Name is unique among an owner's live objects).
pub fn index_terms(owner: &str, attributes: &[IndexedAttribute]) -> Vec<IndexTerm> {
    let destroyed = attributes.iter().any(
        |a| matches!(a.attribute, Attribute::State(s) if s == State::Destroyed || s == State::DestroyedCompromised),
    );
    let claims = attributes.iter().filter(|_| !destroyed).filter_map(|a| match &a.attribute {
        Attribute::Name(name) => Some(IndexTerm::name_claim(owner, &name.name_value)),
        _ => None,
    });
    let mut terms: Vec<IndexTerm> = std::iter::once(IndexTerm::owner(owner))
        .chain(attributes.iter().filter_map(|a| index_term(&a.attribute)))
        .chain(claims)
        .collect();
    terms.sort();
    terms.dedup();
    terms
}

#[cfg(test)]
mod tests {
    use keyward_kmip::attributes::Name;
    use keyward_kmip::enums::ObjectType;

    use super::*;

    /// A destroyed object keeps its Name as a term (Locate finds it) but releases the claim.
    #[test]
    fn a_destroyed_object_releases_its_claims() {
        let live = vec![
            IndexedAttribute::new(Attribute::Name(Name::text("k"))),
            IndexedAttribute::new(Attribute::ObjectType(ObjectType::SymmetricKey)),
        ];
        let terms = index_terms("alice", &live);
        assert!(terms.contains(&IndexTerm::name("k")));
        assert!(terms.contains(&IndexTerm::name_claim("alice", "k")));
        assert!(terms.contains(&IndexTerm::owner("alice")));
        let mut destroyed = live.clone();
        destroyed.push(IndexedAttribute::new(Attribute::State(State::Destroyed)));
        let terms = index_terms("alice", &destroyed);
        assert!(terms.contains(&IndexTerm::name("k")));
        assert!(!terms.contains(&IndexTerm::name_claim("alice", "k")));
    }
}
