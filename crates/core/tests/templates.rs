//! 1.x Template objects in every version that defines them (1.0 to 1.4; deprecated in 1.3 and 1.4
//! but still defined, 1.4 §2.2.6): a Template's own attributes are its identifier, type, Name and
//! dates, its Name being the one inside it (1.0 §2.2.6) or the one its Register gives (1.2 §2.2.6);
//! it has no State, Digest or key attributes; and Create, Register and Create Key Pair that name it
//! take the attributes inside it.

mod support;

use keyward_ttlv::KmipVersion::{self, V1_0, V1_1, V1_2, V1_3, V1_4};
use keyward_ttlv::{Item, Tag};
use support::*;

const OWNER: &str = "alice";
const VERSIONS: [KmipVersion; 5] = [V1_0, V1_1, V1_2, V1_3, V1_4];

fn attribute(name: &str, value: &str) -> String {
    format!(r#"<Attribute><AttributeName type="TextString" value="{name}"/>{value}</Attribute>"#)
}

fn enumeration(name: &str, value: &str) -> String {
    attribute(name, &format!(r#"<AttributeValue type="Enumeration" value="{value}"/>"#))
}

fn integer(name: &str, value: &str) -> String {
    attribute(name, &format!(r#"<AttributeValue type="Integer" value="{value}"/>"#))
}

fn name_attribute(name: &str) -> String {
    attribute(
        "Name",
        &format!(
            r#"<AttributeValue><NameValue type="TextString" value="{name}"/><NameType type="Enumeration" value="UninterpretedTextString"/></AttributeValue>"#
        ),
    )
}

/// A Name naming a template in a Template-Attribute (1.0 §2.1.8).
fn template_reference(name: &str) -> String {
    format!(
        r#"<Name><NameValue type="TextString" value="{name}"/><NameType type="Enumeration" value="UninterpretedTextString"/></Name>"#
    )
}

/// Registers a Template holding `inside`, with `given` in the Register's Template-Attribute.
fn register_template(inside: &str, given: &str) -> String {
    item(
        "Register",
        &format!(
            r#"<ObjectType type="Enumeration" value="Template"/><TemplateAttribute>{given}</TemplateAttribute><Template>{inside}</Template>"#
        ),
    )
}

/// An AES-256 template for encryption, named `name` inside.
fn aes_template(name: &str) -> String {
    [
        name_attribute(name),
        enumeration("Cryptographic Algorithm", "AES"),
        integer("Cryptographic Length", "256"),
        integer("Cryptographic Usage Mask", "Encrypt Decrypt"),
        attribute("Object Group", r#"<AttributeValue type="TextString" value="from-template"/>"#),
    ]
    .concat()
}

fn get_attribute_list(server: &Server, version: KmipVersion, uid: &str) -> Vec<String> {
    let mut names = texts(&server.ok(OWNER, version, &on("GetAttributeList", Some(uid))), Tag::AttributeName);
    names.sort();
    names
}

/// Every attribute (Get Attributes naming none): the response payload.
fn all_attributes(server: &Server, version: KmipVersion, uid: &str) -> Item {
    server.ok(OWNER, version, &on("GetAttributes", Some(uid)))
}

const TEMPLATE_OWN: [&str; 5] = ["Initial Date", "Last Change Date", "Name", "Object Type", "Unique Identifier"];

#[test]
fn a_template_has_only_its_own_attributes_and_its_name_is_the_one_inside() {
    for version in VERSIONS {
        let server = Server::new();
        let name = format!("aes-template-{version}");
        let uid = text(&server.ok(OWNER, version, &register_template(&aes_template(&name), "")), Tag::UniqueIdentifier)
            .expect("an identifier");
        assert_eq!(get_attribute_list(&server, version, &uid), TEMPLATE_OWN, "{version}");
        let all = all_attributes(&server, version, &uid);
        assert_eq!(attribute_xml(&all, "Name").map(|n| n.contains(&name)), Some(true), "{version}: {}", show(&all));
        for absent in ["State", "Cryptographic Algorithm", "Digest", "Fresh", "Object Group", "Lease Time"] {
            assert!(attribute_xml(&all, absent).is_none(), "{version}: a Template has no {absent}: {}", show(&all));
        }
        // Asked for by name, State is not there either.
        let state =
            item("GetAttributes", &format!(r#"{}<AttributeName type="TextString" value="State"/>"#, uid_xml(&uid)));
        assert!(find(&server.ok(OWNER, version, &state), Tag::Attribute).is_none(), "{version}");
        // Its Name finds it.
        let locate = item("Locate", &name_attribute(&name));
        assert_eq!(texts(&server.ok(OWNER, version, &locate), Tag::UniqueIdentifier), [uid.as_str()], "{version}");
    }
}

#[test]
fn a_name_given_to_the_register_names_the_template_too() {
    for version in VERSIONS {
        let server = Server::new();
        let inside = [enumeration("Cryptographic Algorithm", "AES"), integer("Cryptographic Length", "128")].concat();
        let register = register_template(&inside, &name_attribute("named-by-register"));
        let uid = text(&server.ok(OWNER, version, &register), Tag::UniqueIdentifier).unwrap();
        assert_eq!(get_attribute_list(&server, version, &uid), TEMPLATE_OWN, "{version}");
        let create = item(
            "Create",
            &format!(
                r#"<ObjectType type="Enumeration" value="SymmetricKey"/><TemplateAttribute>{}</TemplateAttribute>"#,
                template_reference("named-by-register")
            ),
        );
        let key = text(&server.ok(OWNER, version, &create), Tag::UniqueIdentifier).unwrap();
        let length = attribute_xml(&all_attributes(&server, version, &key), "Cryptographic Length").unwrap();
        assert!(length.contains("128"), "{version}: {length}");
        // Anything else given to the Register cannot apply to the Template itself.
        let usage = register_template(&inside, &integer("Cryptographic Usage Mask", "Encrypt"));
        assert_eq!(server.fails(OWNER, version, &usage), "InvalidField", "{version}");
    }
}

#[test]
fn create_and_register_take_the_attributes_inside_a_named_template() {
    for version in VERSIONS {
        let server = Server::new();
        server.ok(OWNER, version, &register_template(&aes_template("t"), ""));
        let create = item(
            "Create",
            &format!(
                r#"<ObjectType type="Enumeration" value="SymmetricKey"/><TemplateAttribute>{}{}</TemplateAttribute>"#,
                template_reference("t"),
                name_attribute("made-from-t")
            ),
        );
        let key = text(&server.ok(OWNER, version, &create), Tag::UniqueIdentifier).unwrap();
        let all = all_attributes(&server, version, &key);
        assert!(attribute_xml(&all, "Cryptographic Algorithm").unwrap().contains("AES"), "{version}");
        assert!(attribute_xml(&all, "Object Group").unwrap().contains("from-template"), "{version}");
        // The key is named by its own Name, never by the template's.
        let names: Vec<String> = texts(&all, Tag::NameValue);
        assert_eq!(names, ["made-from-t"], "{version}");

        let register = item(
            "Register",
            &format!(
                r#"<ObjectType type="Enumeration" value="SymmetricKey"/><TemplateAttribute>{}</TemplateAttribute>
                <SymmetricKey><KeyBlock><KeyFormatType type="Enumeration" value="Raw"/>
                <KeyValue><KeyMaterial type="ByteString" value="000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"/></KeyValue>
                <CryptographicAlgorithm type="Enumeration" value="AES"/><CryptographicLength type="Integer" value="256"/>
                </KeyBlock></SymmetricKey>"#,
                template_reference("t")
            ),
        );
        let registered = text(&server.ok(OWNER, version, &register), Tag::UniqueIdentifier).unwrap();
        let all = all_attributes(&server, version, &registered);
        assert!(attribute_xml(&all, "Object Group").unwrap().contains("from-template"), "{version}");
        assert!(texts(&all, Tag::NameValue).is_empty(), "{version}: {}", show(&all));

        let missing = item(
            "Create",
            &format!(
                r#"<ObjectType type="Enumeration" value="SymmetricKey"/><TemplateAttribute>{}</TemplateAttribute>"#,
                template_reference("no-such-template")
            ),
        );
        assert_eq!(server.fails(OWNER, version, &missing), "ItemNotFound", "{version}");
    }
}

#[test]
fn create_key_pair_takes_a_named_template() {
    for version in VERSIONS {
        let server = Server::new();
        let inside = [
            name_attribute("rsa"),
            enumeration("Cryptographic Algorithm", "RSA"),
            integer("Cryptographic Length", "2048"),
        ];
        server.ok(OWNER, version, &register_template(&inside.concat(), ""));
        let pair = item(
            "CreateKeyPair",
            &format!(
                r#"<CommonTemplateAttribute>{}</CommonTemplateAttribute>
                <PrivateKeyTemplateAttribute>{}</PrivateKeyTemplateAttribute>
                <PublicKeyTemplateAttribute>{}</PublicKeyTemplateAttribute>"#,
                template_reference("rsa"),
                integer("Cryptographic Usage Mask", "Sign"),
                integer("Cryptographic Usage Mask", "Verify")
            ),
        );
        let payload = server.ok(OWNER, version, &pair);
        let public = text(&payload, Tag::PublicKeyUniqueIdentifier).expect("a public key");
        let length = attribute_xml(&all_attributes(&server, version, &public), "Cryptographic Length").unwrap();
        assert!(length.contains("2048"), "{version}: {length}");
    }
}
