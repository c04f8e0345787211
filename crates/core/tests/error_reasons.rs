//! Result Reasons and messages of failures the OASIS vectors do not reach, as the error-handling
//! tables give them: a second Destroy (Permission Denied in 1.x, 1.4 Table 348; Object Destroyed
//! in 2.x), an Import without its object, a key pair whose attributes give both keys one Name,
//! Add and Modify Attribute with a Name taken or a second single instance (Illegal Operation in
//! 1.x, 1.4 Tables 341 and 342).

mod support;

use keyward_ttlv::KmipVersion::{self, V1_4, V2_0, V2_1};
use keyward_ttlv::{Tag, xml};
use support::*;

const OWNER: &str = "alice";

/// Sends one item expected to fail; returns its Result Reason and Result Message.
fn failure(server: &Server, version: KmipVersion, request: &str) -> (String, String) {
    let response = server.send(OWNER, version, "", &[request]);
    let batch = batch_items(&response);
    assert_eq!(status(batch[0]), "OperationFailed", "{}", xml::to_string(&response));
    (reason(batch[0]), text(batch[0], Tag::ResultMessage).unwrap_or_default())
}

#[test]
fn destroying_a_destroyed_object_is_permission_denied_in_1_x_and_object_destroyed_in_2_x() {
    for version in KmipVersion::ALL {
        let server = Server::new();
        let request = if version.is_1x() { create_aes_1x("gone") } else { create_aes_2x("gone") };
        let uid = text(&server.ok(OWNER, version, &request), Tag::UniqueIdentifier).unwrap();
        server.ok(OWNER, version, &on("Destroy", Some(&uid)));
        let (reason, _) = failure(&server, version, &on("Destroy", Some(&uid)));
        // 1.4 Table 348 (1.0 alike): "Object exists, but has already been destroyed".
        let expected = if version.is_1x() { "PermissionDenied" } else { "ObjectDestroyed" };
        assert_eq!(reason, expected, "KMIP {version}");
    }
}

#[test]
fn an_import_without_its_object_says_the_object_is_missing() {
    for version in [V1_4, V2_0, V2_1] {
        let server = Server::new();
        let attributes = if version.is_1x() {
            r#"<Attribute><AttributeName type="TextString" value="Cryptographic Algorithm"/><AttributeValue type="Enumeration" value="AES"/></Attribute>"#
        } else {
            r#"<Attributes><CryptographicAlgorithm type="Enumeration" value="AES"/></Attributes>"#
        };
        let request = item("Import", &format!(r#"<UniqueIdentifier type="TextString" value="imported"/>{attributes}"#));
        let (reason, message) = failure(&server, version, &request);
        // A payload without a required field is one the server could not parse (1.4 §11.1).
        assert_eq!(reason, "InvalidMessage", "KMIP {version}");
        assert!(message.contains("managed object"), "KMIP {version}: {message}");
        assert!(!message.contains("ObjectType") && !message.contains("Object Type"), "KMIP {version}: {message}");
    }
    // With an Object Type, the message names the tag the object should have come under.
    let server = Server::new();
    let request = item(
        "Import",
        r#"<UniqueIdentifier type="TextString" value="imported"/><ObjectType type="Enumeration" value="SymmetricKey"/>
        <Attributes><CryptographicAlgorithm type="Enumeration" value="AES"/></Attributes>"#,
    );
    let (reason, message) = failure(&server, V2_1, &request);
    assert_eq!(reason, "InvalidMessage");
    assert!(message.contains("SymmetricKey") || message.contains("Symmetric Key"), "{message}");
}

fn key_pair_with_common_name(version: KmipVersion) -> String {
    if version.is_1x() {
        item(
            "CreateKeyPair",
            r#"<CommonTemplateAttribute>
            <Attribute><AttributeName type="TextString" value="Cryptographic Algorithm"/><AttributeValue type="Enumeration" value="RSA"/></Attribute>
            <Attribute><AttributeName type="TextString" value="Cryptographic Length"/><AttributeValue type="Integer" value="2048"/></Attribute>
            <Attribute><AttributeName type="TextString" value="Name"/><AttributeValue><NameValue type="TextString" value="pair"/><NameType type="Enumeration" value="UninterpretedTextString"/></AttributeValue></Attribute>
            </CommonTemplateAttribute>"#,
        )
    } else {
        item(
            "CreateKeyPair",
            r#"<CommonAttributes><CryptographicAlgorithm type="Enumeration" value="RSA"/><CryptographicLength type="Integer" value="2048"/>
            <Name><NameValue type="TextString" value="pair"/><NameType type="Enumeration" value="UninterpretedTextString"/></Name>
            </CommonAttributes>"#,
        )
    }
}

#[test]
fn a_name_for_both_keys_of_a_pair_is_refused_as_such() {
    for version in KmipVersion::ALL {
        let server = Server::new();
        let (reason, message) = failure(&server, version, &key_pair_with_common_name(version));
        // 1.4 Table 329: a Name that is not unique is Invalid Field; 2.1 Table 192 has Non Unique
        // Name Attribute for it.
        let expected = if version.is_1x() { "InvalidField" } else { "NonUniqueNameAttribute" };
        assert_eq!(reason, expected, "KMIP {version}");
        assert!(message.contains("both keys"), "KMIP {version}: {message}");
        assert!(!message.contains("another object"), "KMIP {version}: {message}");
    }
}

#[test]
fn a_name_already_held_by_another_object_still_says_so() {
    let server = Server::new();
    server.ok(OWNER, V2_1, &create_aes_2x("taken"));
    let request = item(
        "CreateKeyPair",
        r#"<CommonAttributes><CryptographicAlgorithm type="Enumeration" value="EC"/>
        <CryptographicDomainParameters><RecommendedCurve type="Enumeration" value="P_256"/></CryptographicDomainParameters></CommonAttributes>
        <PrivateKeyAttributes><Name><NameValue type="TextString" value="taken"/><NameType type="Enumeration" value="UninterpretedTextString"/></Name></PrivateKeyAttributes>"#,
    );
    let (reason, message) = failure(&server, V2_1, &request);
    assert_eq!(reason, "NonUniqueNameAttribute");
    assert!(message.contains("another object"), "{message}");
}

fn name_attribute(version: KmipVersion, name: &str) -> String {
    if version.is_1x() {
        format!(
            r#"<Attribute><AttributeName type="TextString" value="Name"/><AttributeValue><NameValue type="TextString" value="{name}"/><NameType type="Enumeration" value="UninterpretedTextString"/></AttributeValue></Attribute>"#
        )
    } else {
        format!(
            r#"<NewAttribute><Name><NameValue type="TextString" value="{name}"/><NameType type="Enumeration" value="UninterpretedTextString"/></Name></NewAttribute>"#
        )
    }
}

fn contact_attribute(version: KmipVersion, value: &str) -> String {
    if version.is_1x() {
        format!(
            r#"<Attribute><AttributeName type="TextString" value="Contact Information"/><AttributeValue type="TextString" value="{value}"/></Attribute>"#
        )
    } else {
        format!(r#"<NewAttribute><ContactInformation type="TextString" value="{value}"/></NewAttribute>"#)
    }
}

#[test]
fn adding_or_modifying_to_a_taken_name_or_a_second_single_instance_is_illegal_operation_in_1_x() {
    for version in KmipVersion::ALL {
        let server = Server::new();
        let create = |name: &str| {
            let request = if version.is_1x() { create_aes_1x(name) } else { create_aes_2x(name) };
            text(&server.ok(OWNER, version, &request), Tag::UniqueIdentifier).unwrap()
        };
        create("first");
        let second = create("second");
        let uid = format!(r#"<UniqueIdentifier type="TextString" value="{second}"/>"#);

        // 1.4 Table 341: "Trying to add a Name attribute with the same value that another object
        // already has"; Table 342: "Trying to set the Name attribute value to a value already used
        // by another object". Create and Register say Invalid Field for the same (Tables 328, 330).
        let taken = if version.is_1x() { "IllegalOperation" } else { "NonUniqueNameAttribute" };
        let add = item("AddAttribute", &format!("{uid}{}", name_attribute(version, "first")));
        assert_eq!(failure(&server, version, &add).0, taken, "Add, KMIP {version}");
        let modify = item("ModifyAttribute", &format!("{uid}{}", name_attribute(version, "first")));
        assert_eq!(failure(&server, version, &modify).0, taken, "Modify, KMIP {version}");
        let create_again = if version.is_1x() { create_aes_1x("first") } else { create_aes_2x("first") };
        let on_create = if version.is_1x() { "InvalidField" } else { "NonUniqueNameAttribute" };
        assert_eq!(failure(&server, version, &create_again).0, on_create, "Create, KMIP {version}");

        // "The specified attribute already exists": Illegal Operation; 2.x Attribute Single Valued.
        server.ok(OWNER, version, &item("AddAttribute", &format!("{uid}{}", contact_attribute(version, "a"))));
        let again = item("AddAttribute", &format!("{uid}{}", contact_attribute(version, "b")));
        let exists = if version.is_1x() { "IllegalOperation" } else { "AttributeSingleValued" };
        assert_eq!(failure(&server, version, &again).0, exists, "KMIP {version}");
    }
}
