//! Attribute instances through Add, Modify and Delete Attribute: 1.x Attribute Indexes that never
//! change while their instance lives (1.4 §2.1.1), an index no instance has (Item Not Found, 1.4
//! Tables 342 and 343, 1.0 Tables 240 and 241), a Modify of an attribute the object lacks
//! (Invalid Field), 1.0's rule for a Delete without an index; in 2.x instances named by value
//! and a Delete by reference alone, which removes every instance (2.1 §6.1.13).

mod support;

use keyward_ttlv::KmipVersion::{self, V1_0, V2_0, V2_1};
use keyward_ttlv::{Item, Tag, Value};
use support::*;

const OWNER: &str = "alice";
const V1: [KmipVersion; 5] =
    [KmipVersion::V1_0, KmipVersion::V1_1, KmipVersion::V1_2, KmipVersion::V1_3, KmipVersion::V1_4];

fn create(server: &Server, version: KmipVersion, name: &str) -> String {
    let request = if version.is_1x() { create_aes_1x(name) } else { create_aes_2x(name) };
    text(&server.ok(OWNER, version, &request), Tag::UniqueIdentifier).expect("an identifier")
}

fn name_value_1x(name: &str) -> String {
    format!(
        r#"<AttributeValue><NameValue type="TextString" value="{name}"/><NameType type="Enumeration" value="UninterpretedTextString"/></AttributeValue>"#
    )
}

fn index_xml(index: Option<i32>) -> String {
    index.map_or(String::new(), |i| format!(r#"<AttributeIndex type="Integer" value="{i}"/>"#))
}

fn add_name_1x(uid: &str, name: &str) -> String {
    item(
        "AddAttribute",
        &format!(
            r#"{}<Attribute><AttributeName type="TextString" value="Name"/>{}</Attribute>"#,
            uid_xml(uid),
            name_value_1x(name)
        ),
    )
}

fn modify_name_1x(uid: &str, index: Option<i32>, name: &str) -> String {
    item(
        "ModifyAttribute",
        &format!(
            r#"{}<Attribute><AttributeName type="TextString" value="Name"/>{}{}</Attribute>"#,
            uid_xml(uid),
            index_xml(index),
            name_value_1x(name)
        ),
    )
}

fn delete_1x(uid: &str, attribute: &str, index: Option<i32>) -> String {
    item(
        "DeleteAttribute",
        &format!(r#"{}<AttributeName type="TextString" value="{attribute}"/>{}"#, uid_xml(uid), index_xml(index)),
    )
}

/// The index a 1.x response gives its attribute (absent means 0, 1.4 §4.14).
fn echoed_index(payload: &Item) -> i32 {
    match payload.child(Tag::Attribute).and_then(|a| a.child(Tag::AttributeIndex)).map(|i| &i.value) {
        Some(Value::Integer(index)) => *index,
        _ => 0,
    }
}

/// The object's names by Attribute Index, as a 1.x Get Attributes returns them.
fn names_1x(server: &Server, version: KmipVersion, uid: &str) -> Vec<(i32, String)> {
    let request = item("GetAttributes", &format!(r#"{}<AttributeName type="TextString" value="Name"/>"#, uid_xml(uid)));
    let payload = server.ok(OWNER, version, &request);
    let mut names: Vec<(i32, String)> = payload
        .children()
        .iter()
        .filter(|c| c.tag == Tag::Attribute)
        .map(|attribute| {
            (
                echoed_index(&Item::structure(Tag::ResponsePayload, vec![attribute.clone()])),
                text(attribute, Tag::NameValue).unwrap(),
            )
        })
        .collect();
    names.sort();
    names
}

fn named(pairs: &[(i32, &str)]) -> Vec<(i32, String)> {
    pairs.iter().map(|(i, n)| (*i, n.to_string())).collect()
}

#[test]
fn indexes_stay_with_their_instances_and_a_missing_one_is_item_not_found() {
    for version in V1 {
        let server = Server::new();
        let uid = create(&server, version, "n0");
        assert_eq!(echoed_index(&server.ok(OWNER, version, &add_name_1x(&uid, "n1"))), 1, "{version}");
        assert_eq!(echoed_index(&server.ok(OWNER, version, &add_name_1x(&uid, "n2"))), 2, "{version}");

        // Deleting instance 1 leaves 0 and 2 where they were (1.4 §2.1.1).
        let deleted = server.ok(OWNER, version, &delete_1x(&uid, "Name", Some(1)));
        assert_eq!((echoed_index(&deleted), text(&deleted, Tag::NameValue)), (1, Some("n1".into())), "{version}");
        assert_eq!(names_1x(&server, version, &uid), named(&[(0, "n0"), (2, "n2")]), "{version}");

        // An index no instance has: Item Not Found, for Modify and Delete alike.
        for index in [1, 7] {
            let modify = server.fails(OWNER, version, &modify_name_1x(&uid, Some(index), "x"));
            assert_eq!(modify, "ItemNotFound", "Modify index {index} in {version}");
            let delete = server.fails(OWNER, version, &delete_1x(&uid, "Name", Some(index)));
            assert_eq!(delete, "ItemNotFound", "Delete index {index} in {version}");
        }

        // Modify changes only the instance named, which keeps its index.
        let modified = server.ok(OWNER, version, &modify_name_1x(&uid, Some(2), "n2b"));
        assert_eq!(echoed_index(&modified), 2, "{version}");
        assert_eq!(names_1x(&server, version, &uid), named(&[(0, "n0"), (2, "n2b")]), "{version}");

        // A new instance gets an index no live instance has.
        assert_eq!(echoed_index(&server.ok(OWNER, version, &add_name_1x(&uid, "n3"))), 3, "{version}");
        assert_eq!(names_1x(&server, version, &uid), named(&[(0, "n0"), (2, "n2b"), (3, "n3")]), "{version}");
    }
}

#[test]
fn modifying_an_attribute_the_object_lacks_is_invalid_field_in_1_x() {
    for version in V1 {
        let server = Server::new();
        let uid = create(&server, version, "lacks");
        let modify = item(
            "ModifyAttribute",
            &format!(
                r#"{}<Attribute><AttributeName type="TextString" value="Contact Information"/><AttributeValue type="TextString" value="ops"/></Attribute>"#,
                uid_xml(&uid)
            ),
        );
        // 1.4 Table 342: "A specified attribute does not exist (i.e., it needs to first be added)".
        assert_eq!(server.fails(OWNER, version, &modify), "InvalidField", "{version}");
        // 1.4 Table 343: "No attribute with the specified name exists".
        let delete = delete_1x(&uid, "Contact Information", None);
        assert_eq!(server.fails(OWNER, version, &delete), "ItemNotFound", "{version}");
    }
}

#[test]
fn a_delete_without_an_index_takes_index_0_except_in_1_0_with_several_instances() {
    for version in V1 {
        let server = Server::new();
        let uid = create(&server, version, "first");
        server.ok(OWNER, version, &add_name_1x(&uid, "second"));
        let without_index = delete_1x(&uid, "Name", None);
        if version == V1_0 {
            // 1.0 §4.15: "the operation is rejected" (Invalid Field, 1.0 Table 241).
            assert_eq!(server.fails(OWNER, version, &without_index), "InvalidField");
            server.ok(OWNER, version, &delete_1x(&uid, "Name", Some(1)));
            // One instance left: the index may be left out.
            server.ok(OWNER, version, &without_index);
            assert!(names_1x(&server, version, &uid).is_empty());
        } else {
            // 1.4 §4.16: "If no Attribute Index is specified in the request, then the Attribute
            // Index SHALL be assumed to be 0."
            server.ok(OWNER, version, &without_index);
            assert_eq!(names_1x(&server, version, &uid), named(&[(1, "second")]), "{version}");
        }
    }
}

fn names_2x(server: &Server, version: KmipVersion, uid: &str) -> Vec<String> {
    let request =
        item("GetAttributes", &format!(r#"{}<AttributeReference type="Enumeration" value="Name"/>"#, uid_xml(uid)));
    let mut names = texts(&server.ok(OWNER, version, &request), Tag::NameValue);
    names.sort();
    names
}

fn add_name_2x(uid: &str, name: &str) -> String {
    item("AddAttribute", &format!("{}<NewAttribute>{}</NewAttribute>", uid_xml(uid), name_2x(name)))
}

#[test]
fn in_2_x_instances_are_named_by_value_and_a_reference_alone_deletes_them_all() {
    for version in [V2_0, V2_1] {
        let server = Server::new();
        let uid = create(&server, version, "a");
        server.ok(OWNER, version, &add_name_2x(&uid, "b"));

        // 2.1 §6.1.34: without a Current Attribute, several instances cannot be told apart.
        let ambiguous =
            item("ModifyAttribute", &format!("{}<NewAttribute>{}</NewAttribute>", uid_xml(&uid), name_2x("c")));
        assert_eq!(server.fails(OWNER, version, &ambiguous), "AttributeInstanceNotFound", "{version}");
        let unknown = item(
            "ModifyAttribute",
            &format!(
                "{}<CurrentAttribute>{}</CurrentAttribute><NewAttribute>{}</NewAttribute>",
                uid_xml(&uid),
                name_2x("zzz"),
                name_2x("c")
            ),
        );
        assert_eq!(server.fails(OWNER, version, &unknown), "AttributeInstanceNotFound", "{version}");
        let by_value = item(
            "ModifyAttribute",
            &format!(
                "{}<CurrentAttribute>{}</CurrentAttribute><NewAttribute>{}</NewAttribute>",
                uid_xml(&uid),
                name_2x("b"),
                name_2x("c")
            ),
        );
        server.ok(OWNER, version, &by_value);
        assert_eq!(names_2x(&server, version, &uid), vec!["a".to_string(), "c".to_string()], "{version}");

        let delete_unknown =
            item("DeleteAttribute", &format!("{}<CurrentAttribute>{}</CurrentAttribute>", uid_xml(&uid), name_2x("b")));
        assert_eq!(server.fails(OWNER, version, &delete_unknown), "AttributeInstanceNotFound", "{version}");

        // 2.1 §6.1.13: an Attribute Reference without a Current Attribute deletes every instance.
        let delete_all = item(
            "DeleteAttribute",
            &format!(r#"{}<AttributeReference type="Enumeration" value="Name"/>"#, uid_xml(&uid)),
        );
        server.ok(OWNER, version, &delete_all);
        assert!(names_2x(&server, version, &uid).is_empty(), "{version}");
        assert_eq!(server.fails(OWNER, version, &delete_all), "AttributeNotFound", "{version}");

        let modify_absent = item(
            "ModifyAttribute",
            &format!(
                r#"{}<NewAttribute><ContactInformation type="TextString" value="ops"/></NewAttribute>"#,
                uid_xml(&uid)
            ),
        );
        assert_eq!(server.fails(OWNER, version, &modify_absent), "AttributeNotFound", "{version}");
    }
}
