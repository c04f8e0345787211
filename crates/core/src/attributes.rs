//! Reading and changing the attributes of a stored object, keeping the 1.x Attribute Index rule:
//! an instance keeps its index for life, and a new instance gets the next free one.

use keyward_kmip::attributes::{Attribute, AttributeRef, IndexedAttribute};
use keyward_store::StoredObject;

/// The first instance of an attribute selected by `select`.
pub fn find<T>(object: &StoredObject, select: impl Fn(&Attribute) -> Option<T>) -> Option<T> {
    object.attributes.iter().find_map(|a| select(&a.attribute))
}

/// The instances of the attribute named by `reference`, in index order.
pub fn instances<'o>(object: &'o StoredObject, reference: &AttributeRef) -> Vec<&'o IndexedAttribute> {
    let mut found: Vec<_> = object.attributes.iter().filter(|a| reference.matches(&a.attribute)).collect();
    found.sort_by_key(|a| a.index);
    found
}

/// Adds an instance and returns its index: one more than the highest index of that attribute.
pub fn add(object: &mut StoredObject, attribute: Attribute) -> u32 {
    let reference = attribute.reference();
    let index = instances(object, &reference).iter().map(|a| a.index + 1).max().unwrap_or(0);
    object.attributes.push(IndexedAttribute { index, attribute });
    index
}

/// Sets a single-instance attribute (replacing its value, or adding it).
pub fn set(object: &mut StoredObject, attribute: Attribute) {
    let reference = attribute.reference();
    match object.attributes.iter_mut().find(|a| reference.matches(&a.attribute)) {
        Some(existing) => existing.attribute = attribute,
        None => object.attributes.push(IndexedAttribute { index: 0, attribute }),
    }
}

/// Removes every instance of an attribute.
pub fn remove_all(object: &mut StoredObject, reference: &AttributeRef) {
    object.attributes.retain(|a| !reference.matches(&a.attribute));
}

/// `base` overlaid with `over`: the value of a single-instance attribute in `over` wins,
/// multi-instance attributes are the union of both (Create Key Pair's common and own attributes,
/// a replacement's inherited and requested ones).
pub fn overlay(base: Vec<Attribute>, over: Vec<Attribute>) -> Vec<Attribute> {
    let mut merged = base;
    for attribute in over {
        if attribute.rules().multiple {
            if merged.contains(&attribute) {
                continue;
            }
        } else {
            let reference = attribute.reference();
            merged.retain(|a| !reference.matches(a));
        }
        merged.push(attribute);
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_kmip::attributes::Name;
    use keyward_ttlv::Tag;

    fn empty() -> StoredObject {
        StoredObject { unique_identifier: "u".into(), owner: "o".into(), object: None, attributes: vec![], revision: 0 }
    }

    #[test]
    fn indexes_are_never_reused_while_an_instance_lives() {
        let mut object = empty();
        assert_eq!(add(&mut object, Attribute::Name(Name::text("a"))), 0);
        assert_eq!(add(&mut object, Attribute::Name(Name::text("b"))), 1);
        assert_eq!(add(&mut object, Attribute::Name(Name::text("c"))), 2);
        object.attributes.retain(|a| a.index != 1);
        assert_eq!(add(&mut object, Attribute::Name(Name::text("d"))), 3);
        let names = instances(&object, &AttributeRef::Standard(Tag::Name));
        assert_eq!(names.iter().map(|a| a.index).collect::<Vec<_>>(), vec![0, 2, 3]);
    }
}
