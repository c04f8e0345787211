//! Operation policies and credentials (1.4 §3.18 Operation Policy Name, §3.18.1, §3.18.2; §2.1.2
//! Credential): requests carrying a Credential are held to the object's operation policy, after
//! the owner and administrator rules. The first test follows the "Credential, Operation Policy,
//! Destroy Date" use: one user creates a key under the default policy, another user of the same
//! client may not read or destroy it, its creator destroys it and reads its Destroy Date.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicI64;

use keyward_core::operation_policy::{Allowed, NamedPolicy, OperationPolicies};
use keyward_core::{Dispatcher, Policy, Services};
use keyward_kmip::enums::Operation;
use keyward_store::MemoryStore;
use keyward_ttlv::KmipVersion::{self, V1_1, V1_2, V1_4};
use keyward_ttlv::{Item, Tag, xml};
use support::*;

const CLIENT: &str = "alice";

fn user(name: &str) -> String {
    format!(
        r#"<Authentication><Credential><CredentialType type="Enumeration" value="UsernameAndPassword"/>
        <CredentialValue><Username type="TextString" value="{name}"/><Password type="TextString" value="secret-{name}"/></CredentialValue>
        </Credential></Authentication>"#
    )
}

fn device(serial: &str) -> String {
    format!(
        r#"<Authentication><Credential><CredentialType type="Enumeration" value="Device"/>
        <CredentialValue><DeviceSerialNumber type="TextString" value="{serial}"/><Password type="TextString" value="p"/></CredentialValue>
        </Credential></Authentication>"#
    )
}

/// One batch item with the header's credential; its status and (on failure) reason, and the item.
fn run(server: &Server, client: &str, version: KmipVersion, header: &str, item: &str) -> (String, Item) {
    let response = server.send(client, version, header, &[item]);
    let batch = batch_items(&response)[0].clone();
    let outcome = if status(&batch) == "Success" { "Success".to_string() } else { reason(&batch) };
    (outcome, batch)
}

fn ok(server: &Server, client: &str, version: KmipVersion, header: &str, item: &str) -> Item {
    let (outcome, batch) = run(server, client, version, header, item);
    assert_eq!(outcome, "Success", "{}", xml::to_string(&batch));
    batch
}

fn denied(server: &Server, client: &str, version: KmipVersion, header: &str, item: &str) -> String {
    run(server, client, version, header, item).0
}

fn policy_name(name: &str) -> String {
    format!(
        r#"<Attribute><AttributeName type="TextString" value="Operation Policy Name"/><AttributeValue type="TextString" value="{name}"/></Attribute>"#
    )
}

fn create_key(server: &Server, header: &str, policy: Option<&str>) -> String {
    let payload = format!(
        r#"<ObjectType type="Enumeration" value="SymmetricKey"/><TemplateAttribute>
        <Attribute><AttributeName type="TextString" value="Cryptographic Algorithm"/><AttributeValue type="Enumeration" value="AES"/></Attribute>
        <Attribute><AttributeName type="TextString" value="Cryptographic Length"/><AttributeValue type="Integer" value="128"/></Attribute>
        <Attribute><AttributeName type="TextString" value="Cryptographic Usage Mask"/><AttributeValue type="Integer" value="Encrypt Decrypt"/></Attribute>
        {}</TemplateAttribute>"#,
        policy.map_or(String::new(), policy_name)
    );
    text(&ok(server, CLIENT, V1_2, header, &item("Create", &payload)), Tag::UniqueIdentifier).unwrap()
}

fn locate_keys(server: &Server, header: &str) -> Vec<String> {
    let filter = r#"<Attribute><AttributeName type="TextString" value="Object Type"/><AttributeValue type="Enumeration" value="SymmetricKey"/></Attribute>"#;
    texts(&ok(server, CLIENT, V1_2, header, &item("Locate", filter)), Tag::UniqueIdentifier)
}

fn destroy_date_of(server: &Server, header: &str, uid: &str) -> Item {
    let payload = format!(r#"{}<AttributeName type="TextString" value="Destroy Date"/>"#, uid_xml(uid));
    ok(server, CLIENT, V1_2, header, &item("GetAttributes", &payload))
}

#[test]
fn credential_operation_policy_destroy_date() {
    let server = Server::new();
    let (fred, barney) = (user("Fred"), user("Barney"));
    let key = create_key(&server, &fred, Some("default"));
    for operation in ["Get", "GetAttributes", "GetAttributeList", "Activate", "Destroy"] {
        assert_eq!(
            denied(&server, CLIENT, V1_2, &barney, &on(operation, Some(&key))),
            "PermissionDenied",
            "{operation}"
        );
    }
    assert!(locate_keys(&server, &barney).is_empty(), "Locate is the owner's too");
    assert_eq!(locate_keys(&server, &fred), [key.as_str()]);

    server.advance(60);
    ok(&server, CLIENT, V1_2, &fred, &on("Destroy", Some(&key)));
    let dates = destroy_date_of(&server, &fred, &key);
    let expected = keyward_ttlv::datetime::format_seconds(NOW + 60);
    assert!(show(&dates).contains(&expected), "{}", show(&dates));
    let payload = format!(r#"{}<AttributeName type="TextString" value="Destroy Date"/>"#, uid_xml(&key));
    assert_eq!(denied(&server, CLIENT, V1_2, &barney, &item("GetAttributes", &payload)), "PermissionDenied");
}

/// Without a Credential the owner rules alone decide; a credential never reaches another client's
/// objects; administrators are not held; the record of the creator is not shown.
#[test]
fn credentials_narrow_and_never_widen() {
    let server = Server::new();
    let key = create_key(&server, &user("Fred"), None);
    ok(&server, CLIENT, V1_4, "", &on("Get", Some(&key)));
    assert_eq!(denied(&server, "bob", V1_4, &user("Fred"), &on("Get", Some(&key))), "ItemNotFound");
    ok(&server, "admin", V1_4, &user("Barney"), &on("Get", Some(&key)));
    let names =
        texts(&ok(&server, CLIENT, V1_4, &user("Fred"), &on("GetAttributeList", Some(&key))), Tag::AttributeName);
    assert!(!names.iter().any(|n| n.contains("policy-owner")), "{names:?}");
    // An object created without a credential belongs, in policy terms, to every user of its client.
    let plain = create_key(&server, "", None);
    ok(&server, CLIENT, V1_4, &user("Barney"), &on("Get", Some(&plain)));
}

/// Default policy for public keys (Table 93): reading is allowed to all, changing to the owner.
#[test]
fn public_keys_are_readable_by_all_under_the_default_policy() {
    let server = Server::new();
    let payload = r#"<CommonTemplateAttribute>
        <Attribute><AttributeName type="TextString" value="Cryptographic Algorithm"/><AttributeValue type="Enumeration" value="ECDSA"/></Attribute>
        <Attribute><AttributeName type="TextString" value="Cryptographic Length"/><AttributeValue type="Integer" value="256"/></Attribute>
        </CommonTemplateAttribute>
        <PrivateKeyTemplateAttribute><Attribute><AttributeName type="TextString" value="Cryptographic Usage Mask"/><AttributeValue type="Integer" value="Sign"/></Attribute></PrivateKeyTemplateAttribute>
        <PublicKeyTemplateAttribute><Attribute><AttributeName type="TextString" value="Cryptographic Usage Mask"/><AttributeValue type="Integer" value="Verify"/></Attribute></PublicKeyTemplateAttribute>"#;
    let created = ok(&server, CLIENT, V1_4, &device("SN-1"), &item("CreateKeyPair", payload));
    let private = text(&created, Tag::PrivateKeyUniqueIdentifier).unwrap();
    let public = text(&created, Tag::PublicKeyUniqueIdentifier).unwrap();
    let other = device("SN-2");
    ok(&server, CLIENT, V1_4, &other, &on("Get", Some(&public)));
    ok(&server, CLIENT, V1_4, &other, &on("GetAttributes", Some(&public)));
    assert_eq!(denied(&server, CLIENT, V1_4, &other, &on("Destroy", Some(&public))), "PermissionDenied");
    assert_eq!(denied(&server, CLIENT, V1_4, &other, &on("Get", Some(&private))), "PermissionDenied");
    ok(&server, CLIENT, V1_4, &device("SN-1"), &on("Get", Some(&private)));
}

/// A configured policy allows named entities, and can forbid an operation to everyone.
#[test]
fn configured_policies_allow_and_forbid_per_entity() {
    let clock = Arc::new(TestClock(AtomicI64::new(NOW)));
    let shared = NamedPolicy {
        operations: vec![
            (Operation::Get, vec![Allowed::Owner, Allowed::Entity("user:Barney".into())]),
            (Operation::Destroy, Vec::new()),
        ],
    };
    let policy = Policy {
        administrators: vec!["admin".into()],
        operation_policies: OperationPolicies { named: BTreeMap::from([("shared".to_string(), shared)]) },
        ..Policy::default()
    };
    let services = Services {
        store: Arc::new(MemoryStore::new(keyward_core::record_schema::schema())),
        policy,
        clock: clock.clone(),
    };
    let server = Server { dispatcher: Dispatcher::new(services), clock };

    let key = create_key(&server, &user("Fred"), Some("shared"));
    ok(&server, CLIENT, V1_1, &user("Barney"), &on("Get", Some(&key)));
    assert_eq!(denied(&server, CLIENT, V1_1, &user("Wilma"), &on("Get", Some(&key))), "PermissionDenied");
    assert_eq!(denied(&server, CLIENT, V1_1, &user("Barney"), &on("Activate", Some(&key))), "PermissionDenied");
    ok(&server, CLIENT, V1_1, &user("Fred"), &on("Activate", Some(&key)));
    assert_eq!(denied(&server, CLIENT, V1_1, &user("Fred"), &on("Destroy", Some(&key))), "PermissionDenied");
    let revoke = revoke(&key, "CessationOfOperation");
    ok(&server, "admin", V1_1, &user("Fred"), &revoke);
    ok(&server, "admin", V1_1, "", &on("Destroy", Some(&key)));
}

/// A private template (Table 94) serves only its owner: another user's Create that names it does
/// not find it; its owner's does.
#[test]
fn private_templates_serve_their_owner_only() {
    let server = Server::new();
    let name = r#"<Attribute><AttributeName type="TextString" value="Name"/><AttributeValue><NameValue type="TextString" value="fred-template"/><NameType type="Enumeration" value="UninterpretedTextString"/></AttributeValue></Attribute>"#;
    let inside = format!(
        r#"{name}<Attribute><AttributeName type="TextString" value="Cryptographic Algorithm"/><AttributeValue type="Enumeration" value="AES"/></Attribute>
        <Attribute><AttributeName type="TextString" value="Cryptographic Length"/><AttributeValue type="Integer" value="128"/></Attribute>
        <Attribute><AttributeName type="TextString" value="Cryptographic Usage Mask"/><AttributeValue type="Integer" value="Encrypt"/></Attribute>"#
    );
    let register = format!(
        r#"<ObjectType type="Enumeration" value="Template"/><TemplateAttribute/><Template>{inside}</Template>"#
    );
    ok(&server, CLIENT, V1_2, &user("Fred"), &item("Register", &register));
    let create = r#"<ObjectType type="Enumeration" value="SymmetricKey"/><TemplateAttribute>
        <Name><NameValue type="TextString" value="fred-template"/><NameType type="Enumeration" value="UninterpretedTextString"/></Name>
        </TemplateAttribute>"#;
    assert_eq!(denied(&server, CLIENT, V1_2, &user("Barney"), &item("Create", create)), "ItemNotFound");
    ok(&server, CLIENT, V1_2, &user("Fred"), &item("Create", create));
}

/// A key re-keyed by a request without a Credential stays its creator's: another user is still
/// refused the replacement.
#[test]
fn a_replacement_keeps_its_creator() {
    let server = Server::new();
    let key = create_key(&server, &user("Fred"), None);
    ok(&server, CLIENT, V1_4, &user("Fred"), &on("Activate", Some(&key)));
    let rekeyed = ok(&server, CLIENT, V1_4, "", &on("ReKey", Some(&key)));
    let replacement = text(&rekeyed, Tag::UniqueIdentifier).unwrap();
    assert_ne!(replacement, key);
    assert_eq!(denied(&server, CLIENT, V1_4, &user("Barney"), &on("Get", Some(&replacement))), "PermissionDenied");
    ok(&server, CLIENT, V1_4, &user("Fred"), &on("Get", Some(&replacement)));
}
