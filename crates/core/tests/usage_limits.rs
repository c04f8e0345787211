//! Usage Limits and Get Usage Allocation in every version (1.0 §3.16 and §4.17, 1.4 §3.21 and
//! §4.18, 2.1 §4.59 and §6.1.23): the count starts at the total whatever the client says, each
//! allocation takes from it and Get Attributes shows what is left; allocations only while
//! protection is enabled; the error tables' reasons (1.4 Table 345, 2.1 §6.1.23.1); the Total is
//! the client's to correct only until units are allocated.

mod support;

use keyward_ttlv::KmipVersion;
use keyward_ttlv::{Item, Tag, Value};
use support::*;

const OWNER: &str = "alice";

fn limits_fields(total: i64, count: Option<i64>) -> String {
    let count = count.map_or(String::new(), |c| format!(r#"<UsageLimitsCount type="LongInteger" value="{c}"/>"#));
    format!(
        r#"<UsageLimitsTotal type="LongInteger" value="{total}"/>{count}<UsageLimitsUnit type="Enumeration" value="Object"/>"#
    )
}

/// An attribute in the request's version: (1.x name, 2.x tag, value fields or typed value).
fn attribute(version: KmipVersion, name: &str, tag: &str, value: &str) -> String {
    if version.is_1x() {
        format!(
            r#"<Attribute><AttributeName type="TextString" value="{name}"/><AttributeValue{value}</AttributeValue></Attribute>"#
        )
    } else {
        format!("<{tag}{value}</{tag}>")
    }
}

fn usage_limits(version: KmipVersion, total: i64, count: Option<i64>) -> String {
    attribute(version, "Usage Limits", "UsageLimits", &format!(">{}", limits_fields(total, count)))
}

/// Creates an AES key with the extra attributes (in the version's form).
fn create(server: &Server, version: KmipVersion, extra: &str) -> String {
    let common = [
        attribute(version, "Cryptographic Algorithm", "CryptographicAlgorithm", r#" type="Enumeration" value="AES">"#),
        attribute(version, "Cryptographic Length", "CryptographicLength", r#" type="Integer" value="128">"#),
        attribute(
            version,
            "Cryptographic Usage Mask",
            "CryptographicUsageMask",
            r#" type="Integer" value="Encrypt Decrypt">"#,
        ),
    ]
    .concat();
    let payload = format!(
        r#"<ObjectType type="Enumeration" value="SymmetricKey"/>{}"#,
        versioned_attributes(version, &format!("{common}{extra}"))
    );
    text(&server.ok(OWNER, version, &item("Create", &payload)), Tag::UniqueIdentifier).expect("an identifier")
}

fn long(item: &Item, tag: Tag) -> Option<i64> {
    if item.tag == tag
        && let Value::LongInteger(v) = item.value
    {
        return Some(v);
    }
    item.children().iter().find_map(|c| long(c, tag))
}

/// The (total, count) Get Attributes reports.
fn limits_of(server: &Server, version: KmipVersion, uid: &str) -> (Option<i64>, Option<i64>) {
    let name = if version.is_1x() {
        r#"<AttributeName type="TextString" value="Usage Limits"/>"#
    } else {
        r#"<AttributeReference type="Enumeration" value="UsageLimits"/>"#
    };
    let payload = server.ok(OWNER, version, &item("GetAttributes", &format!("{}{name}", uid_xml(uid))));
    (long(&payload, Tag::UsageLimitsTotal), long(&payload, Tag::UsageLimitsCount))
}

fn allocate(uid: &str, count: i64) -> String {
    item("GetUsageAllocation", &format!(r#"{}<UsageLimitsCount type="LongInteger" value="{count}"/>"#, uid_xml(uid)))
}

fn modify_limits(version: KmipVersion, uid: &str, total: i64, count: Option<i64>) -> String {
    let new = usage_limits(version, total, count);
    if version.is_1x() {
        item("ModifyAttribute", &format!("{}{new}", uid_xml(uid)))
    } else {
        item("ModifyAttribute", &format!("{}<NewAttribute>{new}</NewAttribute>", uid_xml(uid)))
    }
}

fn delete_limits(version: KmipVersion, uid: &str) -> String {
    let which = if version.is_1x() {
        r#"<AttributeName type="TextString" value="Usage Limits"/>"#
    } else {
        r#"<AttributeReference type="Enumeration" value="UsageLimits"/>"#
    };
    item("DeleteAttribute", &format!("{}{which}", uid_xml(uid)))
}

#[test]
fn allocations_count_down_from_the_total_and_get_attributes_shows_what_is_left() {
    for version in KmipVersion::ALL {
        let server = Server::new();
        // The client's count is ignored when the object is created: it starts at the total.
        let uid = create(&server, version, &usage_limits(version, 100, Some(7)));
        assert_eq!(limits_of(&server, version, &uid), (Some(100), Some(100)), "{version}");

        // Only while protection is enabled: not before activation.
        assert_eq!(server.fails(OWNER, version, &allocate(&uid, 1)), "PermissionDenied", "{version}");
        server.ok(OWNER, version, &on("Activate", Some(&uid)));

        server.ok(OWNER, version, &allocate(&uid, 30));
        assert_eq!(limits_of(&server, version, &uid), (Some(100), Some(70)), "{version}");
        let refused = if version.is_1x() { "PermissionDenied" } else { "UsageLimitExceeded" };
        assert_eq!(server.fails(OWNER, version, &allocate(&uid, 71)), refused, "{version}");
        assert_eq!(server.fails(OWNER, version, &allocate(&uid, 0)), "InvalidField", "{version}");
        server.ok(OWNER, version, &allocate(&uid, 70));
        assert_eq!(limits_of(&server, version, &uid), (Some(100), Some(0)), "{version}");
        assert_eq!(server.fails(OWNER, version, &allocate(&uid, 1)), refused, "{version}");
    }
}

#[test]
fn the_total_is_the_clients_to_correct_until_units_are_allocated() {
    for version in KmipVersion::ALL {
        let server = Server::new();
        let uid = create(&server, version, &usage_limits(version, 100, None));
        // A correction moves the count with the total; the client's count is not taken.
        server.ok(OWNER, version, &modify_limits(version, &uid, 50, Some(3)));
        assert_eq!(limits_of(&server, version, &uid), (Some(50), Some(50)), "{version}");

        server.ok(OWNER, version, &on("Activate", Some(&uid)));
        server.ok(OWNER, version, &allocate(&uid, 10));
        let read_only = if version.is_1x() { "PermissionDenied" } else { "AttributeReadOnly" };
        assert_eq!(server.fails(OWNER, version, &modify_limits(version, &uid, 500, None)), read_only, "{version}");
        assert_eq!(server.fails(OWNER, version, &delete_limits(version, &uid)), read_only, "{version}");
        assert_eq!(limits_of(&server, version, &uid), (Some(50), Some(40)), "{version}");
    }
}

#[test]
fn added_limits_start_full_and_a_key_without_limits_is_refused() {
    for version in KmipVersion::ALL {
        let server = Server::new();
        let uid = create(&server, version, "");
        server.ok(OWNER, version, &on("Activate", Some(&uid)));
        // 1.4 Table 345: "Object has no Usage Limits attribute": Illegal Operation; 2.x Attribute
        // Not Found.
        let none = if version.is_1x() { "IllegalOperation" } else { "AttributeNotFound" };
        assert_eq!(server.fails(OWNER, version, &allocate(&uid, 1)), none, "{version}");

        let new = usage_limits(version, 20, Some(1));
        let add = if version.is_1x() {
            item("AddAttribute", &format!("{}{new}", uid_xml(&uid)))
        } else {
            item("AddAttribute", &format!("{}<NewAttribute>{new}</NewAttribute>", uid_xml(&uid)))
        };
        server.ok(OWNER, version, &add);
        assert_eq!(limits_of(&server, version, &uid), (Some(20), Some(20)), "{version}");
        server.ok(OWNER, version, &allocate(&uid, 20));
        assert_eq!(limits_of(&server, version, &uid), (Some(20), Some(0)), "{version}");
    }
}

#[test]
fn no_allocation_after_the_protect_stop_date() {
    for version in KmipVersion::ALL {
        let server = Server::new();
        let extra = [
            usage_limits(version, 10, None),
            versioned_date(version, "Activation Date", "ActivationDate", NOW),
            versioned_date(version, "Protect Stop Date", "ProtectStopDate", NOW + 60),
        ]
        .concat();
        let uid = create(&server, version, &extra);
        server.ok(OWNER, version, &allocate(&uid, 1));
        server.advance(61);
        assert_eq!(server.fails(OWNER, version, &allocate(&uid, 1)), "PermissionDenied", "{version}");
        assert_eq!(limits_of(&server, version, &uid), (Some(10), Some(9)), "{version}");
    }
}

#[test]
fn an_allocation_needs_a_count_and_an_object_that_protects() {
    for version in KmipVersion::ALL {
        let server = Server::new();
        let uid = create(&server, version, &usage_limits(version, 10, None));
        server.ok(OWNER, version, &on("Activate", Some(&uid)));
        // 1.4 Table 345: "No Usage Limits Count is specified": Invalid Message.
        let without_count = item("GetUsageAllocation", &uid_xml(&uid));
        assert_eq!(server.fails(OWNER, version, &without_count), "InvalidMessage", "{version}");

        // Secret Data does not apply cryptographic protection: Illegal Operation in 1.x (Table
        // 345), Invalid Object Type in 2.x (2.1 §6.1.23.1).
        let attributes = [
            attribute(
                version,
                "Cryptographic Usage Mask",
                "CryptographicUsageMask",
                r#" type="Integer" value="DeriveKey">"#,
            ),
            usage_limits(version, 10, None),
        ]
        .concat();
        let secret = format!(
            r#"<ObjectType type="Enumeration" value="SecretData"/>{}
            <SecretData><SecretDataType type="Enumeration" value="Password"/><KeyBlock><KeyFormatType type="Enumeration" value="Opaque"/>
            <KeyValue><KeyMaterial type="ByteString" value="70617373776f7264"/></KeyValue></KeyBlock></SecretData>"#,
            versioned_attributes(version, &attributes)
        );
        let secret = text(&server.ok(OWNER, version, &item("Register", &secret)), Tag::UniqueIdentifier).unwrap();
        server.ok(OWNER, version, &on("Activate", Some(&secret)));
        let not_protecting = if version.is_1x() { "IllegalOperation" } else { "InvalidObjectType" };
        assert_eq!(server.fails(OWNER, version, &allocate(&secret, 1)), not_protecting, "{version}");
    }
}
