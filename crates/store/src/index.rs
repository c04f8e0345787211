//! The attributes Locate searches by, as index terms.

use keyward_kmip::attributes::{Attribute, IndexedAttribute};

/// What an index term is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum IndexKind {
    Owner = 1,
    Name = 2,
    ObjectType = 3,
    State = 4,
    ObjectGroup = 5,
    Algorithm = 6,
}

/// "The object has this value for this attribute." Values are canonical bytes (text as UTF-8,
/// enumerations as four big-endian bytes).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IndexTerm {
    pub kind: IndexKind,
    pub value: Vec<u8>,
}

impl IndexTerm {
    pub fn owner(owner: &str) -> IndexTerm {
        IndexTerm { kind: IndexKind::Owner, value: owner.as_bytes().to_vec() }
    }

    pub fn name(name: &str) -> IndexTerm {
        IndexTerm { kind: IndexKind::Name, value: name.as_bytes().to_vec() }
    }

    pub fn object_group(group: &str) -> IndexTerm {
        IndexTerm { kind: IndexKind::ObjectGroup, value: group.as_bytes().to_vec() }
    }

    pub fn enumeration(kind: IndexKind, value: u32) -> IndexTerm {
        IndexTerm { kind, value: value.to_be_bytes().to_vec() }
    }

    /// The term an attribute instance contributes to the indexes, if it is indexed.
    pub fn of_attribute(attribute: &Attribute) -> Option<IndexTerm> {
        Some(match attribute {
            Attribute::Name(name) => IndexTerm::name(&name.name_value),
            Attribute::ObjectType(t) => IndexTerm::enumeration(IndexKind::ObjectType, t.0),
            Attribute::State(s) => IndexTerm::enumeration(IndexKind::State, s.0),
            Attribute::ObjectGroup(g) => IndexTerm::object_group(g),
            Attribute::CryptographicAlgorithm(a) => IndexTerm::enumeration(IndexKind::Algorithm, a.0),
            _ => return None,
        })
    }
}

/// Every term of an object, sorted and without duplicates.
pub fn terms_of(owner: &str, attributes: &[IndexedAttribute]) -> Vec<IndexTerm> {
    let mut terms: Vec<IndexTerm> = std::iter::once(IndexTerm::owner(owner))
        .chain(attributes.iter().filter_map(|a| IndexTerm::of_attribute(&a.attribute)))
        .collect();
    terms.sort();
    terms.dedup();
    terms
}
