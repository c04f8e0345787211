//! Does a message use only what its KMIP version defines? Every tag, every enumeration value,
//! every mask bit and every 1.x Attribute Name is checked against the dictionary. The server's
//! tests run this over every response they get, and the conformance runner over every response
//! it receives: a 1.0 client must never see a 1.1 tag.

use crate::dictionary::{EnumDef, TagValues, tag_by_spec_name, tag_def_in, tag_exists_in};
use crate::names::Naming;
use crate::{Item, KmipVersion, Tag, Value};

/// The problems found: one line each, with the path of the item.
pub fn check(message: &Item, version: KmipVersion) -> Vec<String> {
    let mut problems = Vec::new();
    walk(message, &[], version, &mut String::new(), &mut problems);
    problems
}

fn walk(item: &Item, siblings: &[Item], version: KmipVersion, path: &mut String, problems: &mut Vec<String>) {
    let length = path.len();
    path.push('/');
    path.push_str(&crate::names::tag_text(item.tag));
    if !tag_exists_in(item.tag, version) {
        problems.push(format!("{path}: tag not defined in KMIP {version}"));
    }
    match &item.value {
        Value::Structure(children) => {
            for (index, child) in children.iter().enumerate() {
                walk(child, &children[..index], version, path, problems);
            }
        }
        Value::Enumeration(value) => {
            if let Some(def) = enumeration_of(item.tag, siblings, version) {
                if !def.exists_in(*value, version) {
                    problems.push(format!("{path}: {} value 0x{value:08X} not defined in KMIP {version}", def.name));
                }
            } else if let Naming::Tags = Naming::for_item(item.tag, siblings)
                && !tag_exists_in(Tag(*value), version)
            {
                problems.push(format!("{path}: tag 0x{value:06X} named as a value is not defined in KMIP {version}"));
            }
        }
        Value::Integer(value) => {
            if let Naming::Mask(def) = Naming::for_item(item.tag, siblings)
                && !def.exists_in(*value as u32, version)
            {
                problems.push(format!("{path}: {} bits 0x{value:08X} not all defined in KMIP {version}", def.name));
            }
        }
        Value::TextString(name) if item.tag == Tag::AttributeName && version.is_1x() => {
            let custom = name.starts_with("x-") || name.starts_with("y-");
            let known = tag_by_spec_name(name).is_some_and(|d| tag_def_in(d.tag, version).is_some());
            if !custom && !known {
                problems.push(format!("{path}: attribute {name:?} not defined in KMIP {version}"));
            }
        }
        _ => {}
    }
    path.truncate(length);
}

fn enumeration_of(tag: Tag, siblings: &[Item], version: KmipVersion) -> Option<&'static EnumDef> {
    match Naming::for_item(tag, siblings) {
        Naming::Enumeration(def) => Some(def),
        _ => tag_def_in(tag, version).and_then(|d| match d.values {
            TagValues::Enumeration(_) => d.enumeration(),
            _ => None,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_tags_values_and_names_of_later_versions() {
        let message = Item::structure(
            Tag::ResponsePayload,
            vec![
                Item::boolean(Tag::Fresh, true),
                Item::enumeration(Tag::ObjectType, 9),
                Item::structure(
                    Tag::Attribute,
                    vec![
                        Item::text(Tag::AttributeName, "Original Creation Date"),
                        Item::date_time(Tag::AttributeValue, 0),
                    ],
                ),
            ],
        );
        let problems = check(&message, KmipVersion::V1_0);
        assert_eq!(problems.len(), 3, "{problems:#?}");
        assert!(check(&message, KmipVersion::V1_2).is_empty(), "{:#?}", check(&message, KmipVersion::V1_2));
    }
}
