//! Index terms: what the store indexes objects by, and the claims that keep Names unique. Which
//! attribute gives which term is keyward-core's record schema's decision ([`crate::RecordSchema`]).

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
    /// A live object's claim on one of its Names for its owner: at most one object holds each
    /// (KMIP 1.4 §3.2, 2.1 §4.36: a Name is unique among an owner's live objects).
    NameClaim = 7,
    /// A Rotate Name (2.1 §4.53): Locate by Rotate Name and Rotate Latest finds a rotated key's
    /// current generation without reading every object of its owner.
    RotateName = 8,
    /// The object has Rotate Automatic True (2.1 §4.48): the rotation scheduler finds the objects
    /// it watches at start from the headers, without decrypting the others.
    AutomaticRotation = 9,
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

    /// The claim of `owner` on `name`: owner and name with a separator no identity holds.
    pub fn name_claim(owner: &str, name: &str) -> IndexTerm {
        let mut value = Vec::with_capacity(owner.len() + 1 + name.len());
        value.extend_from_slice(owner.as_bytes());
        value.push(0);
        value.extend_from_slice(name.as_bytes());
        IndexTerm { kind: IndexKind::NameClaim, value }
    }

    pub fn object_group(group: &str) -> IndexTerm {
        IndexTerm { kind: IndexKind::ObjectGroup, value: group.as_bytes().to_vec() }
    }

    pub fn rotate_name(name: &str) -> IndexTerm {
        IndexTerm { kind: IndexKind::RotateName, value: name.as_bytes().to_vec() }
    }

    pub fn automatic_rotation() -> IndexTerm {
        IndexTerm { kind: IndexKind::AutomaticRotation, value: Vec::new() }
    }

    pub fn enumeration(kind: IndexKind, value: u32) -> IndexTerm {
        IndexTerm { kind, value: value.to_be_bytes().to_vec() }
    }
}

/// The claims among an object's terms.
pub(crate) fn claims(terms: &[IndexTerm]) -> impl Iterator<Item = &IndexTerm> {
    terms.iter().filter(|t| t.kind == IndexKind::NameClaim)
}
