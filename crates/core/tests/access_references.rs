//! Cross-object references: an operation that names a second object (the wrapping key of a Get,
//! the object an Import replaces, the object the ID Placeholder carries from one batch item to
//! the next) needs the caller's right on that object too; one it may not see is not found. (The
//! base key of Derive Key and the issuer of Certify are rows of access_matrix.rs: the object
//! under test is the base, and the issuer.)

mod support;

use std::sync::Arc;

use keyward_core::access::{Grant, GrantTarget, Right, Role};
use keyward_core::{ClientIdentity, Dispatcher, Policy, Services};
use keyward_store::MemoryStore;
use keyward_ttlv::KmipVersion::V2_1;
use keyward_ttlv::{Encoder, Item, Limits, Tag};
use support::*;

struct Fixture {
    dispatcher: Dispatcher,
}

impl Fixture {
    fn new() -> Fixture {
        let services = Services {
            store: Arc::new(MemoryStore::new(keyward_core::record_schema::schema())),
            policy: Policy::default(),
            clock: Arc::new(TestClock(std::sync::atomic::AtomicI64::new(NOW))),
        };
        Fixture { dispatcher: Dispatcher::new(services) }
    }

    fn send(&self, client: &str, items: &[&str]) -> Item {
        let request = request_message(V2_1, "", items);
        let mut out = Encoder::new();
        let client = ClientIdentity::new(client);
        if let Some(ticket) = self.dispatcher.handle(&client, &request.to_ttlv(), &Limits::default(), &mut out) {
            ticket.wait().unwrap();
        }
        keyward_ttlv::decode_owned(out.as_bytes(), &Limits::default()).unwrap()
    }

    /// The status (and reason, when it failed) of each item.
    fn outcome(&self, client: &str, items: &[&str]) -> Vec<String> {
        let response = self.send(client, items);
        batch_items(&response)
            .into_iter()
            .map(|b| if status(b) == "Success" { "Success".to_string() } else { reason(b) })
            .collect()
    }

    fn ok(&self, client: &str, request: &str) -> Item {
        let response = self.send(client, &[request]);
        let batch = batch_items(&response);
        assert_eq!(status(batch[0]), "Success", "{}", show(&response));
        batch[0].clone()
    }

    /// An active AES key of `owner` with `usage`.
    fn key(&self, owner: &str, usage: &str, name: &str) -> String {
        let create = item(
            "Create",
            &format!(
                r#"<ObjectType type="Enumeration" value="SymmetricKey"/><Attributes>
                <CryptographicAlgorithm type="Enumeration" value="AES"/><CryptographicLength type="Integer" value="256"/>
                <CryptographicUsageMask type="Integer" value="{usage}"/>{}</Attributes>"#,
                name_2x(name)
            ),
        );
        let uid = text(&self.ok(owner, &create), Tag::UniqueIdentifier).unwrap();
        self.ok(owner, &on("Activate", Some(&uid)));
        uid
    }

    fn grant(&self, uid: &str, to: &str, by: &str, rights: &[Right]) {
        let services = self.dispatcher.services();
        let granted_by = services.policy.access.authority_of(&ClientIdentity::new(by), Role::Client);
        let grant =
            Grant { target: GrantTarget::Object(uid.into()), grantee: to.into(), rights: rights.to_vec(), granted_by };
        let (_, ticket) = services.policy.access.grants.add(&*services.store, grant).unwrap();
        ticket.wait().unwrap();
    }
}

fn wrapped_get(key: &str, kek: &str) -> String {
    item(
        "Get",
        &format!(
            r#"{}<KeyWrappingSpecification><WrappingMethod type="Enumeration" value="Encrypt"/>
            <EncryptionKeyInformation>{}</EncryptionKeyInformation></KeyWrappingSpecification>"#,
            uid_xml(key),
            uid_xml(kek)
        ),
    )
}

#[test]
fn the_wrapping_key_of_a_get_needs_the_wrap_right() {
    let f = Fixture::new();
    let kek = f.key("alice", "WrapKey UnwrapKey", "kek");
    let key = f.key("bob", "Encrypt Decrypt", "bobs");
    // Alice's KEK does not exist for Bob, even to wrap his own key.
    assert_eq!(f.outcome("bob", &[&wrapped_get(&key, &kek)]), ["ObjectNotFound"]);
    // A right that is not Wrap shows it exists, and no more.
    f.grant(&kek, "bob", "alice", &[Right::Encrypt]);
    assert_eq!(f.outcome("bob", &[&wrapped_get(&key, &kek)]), ["PermissionDenied"]);
    f.grant(&kek, "bob", "alice", &[Right::Wrap]);
    assert_eq!(f.outcome("bob", &[&wrapped_get(&key, &kek)]), ["Success"]);
    // Wrap on the KEK is no Get on it.
    assert_eq!(f.outcome("bob", &[&on("Get", Some(&kek))]), ["PermissionDenied"]);
}

#[test]
fn the_id_placeholder_is_checked_with_each_operation_s_right() {
    let f = Fixture::new();
    let key = f.key("alice", "Encrypt Decrypt", "placeholder-key");
    let locate = item("Locate", &format!("<Attributes>{}</Attributes>", name_2x("placeholder-key")));
    let destroy = on("Destroy", None);
    // Not located (no Locate right): the placeholder is empty, the Destroy names nothing.
    let before = f.outcome("bob", &[&locate, &destroy]);
    assert_eq!(before[0], "Success");
    assert_ne!(before[1], "Success");
    // Located through a grant of Locate: the placeholder names the key, and Destroy on it is
    // still refused.
    f.grant(&key, "bob", "alice", &[Right::Locate]);
    let response = f.send("bob", &[&locate, &destroy]);
    let batch = batch_items(&response);
    assert_eq!((status(batch[0]).as_str(), reason(batch[1]).as_str()), ("Success", "PermissionDenied"));
    assert!(text(batch[1], Tag::ResultMessage).unwrap().contains("destroy is not granted"), "{}", show(&response));
    // With the right, the placeholder serves as it should.
    f.grant(&key, "bob", "alice", &[Right::GetAttributes]);
    assert_eq!(f.outcome("bob", &[&locate, &on("GetAttributes", None)]), ["Success", "Success"]);
    // Alice's key is still hers and intact.
    f.ok("alice", &on("GetAttributes", Some(&key)));
}

fn import(uid: &str, key_hex: &str) -> String {
    item(
        "Import",
        &format!(
            r#"{}<ReplaceExisting type="Boolean" value="true"/><ObjectType type="Enumeration" value="SymmetricKey"/>
            <Attributes><CryptographicUsageMask type="Integer" value="Encrypt Decrypt"/></Attributes>
            <SymmetricKey><KeyBlock><KeyFormatType type="Enumeration" value="Raw"/>
            <KeyValue><KeyMaterial type="ByteString" value="{key_hex}"/></KeyValue>
            <CryptographicAlgorithm type="Enumeration" value="AES"/><CryptographicLength type="Integer" value="128"/></KeyBlock></SymmetricKey>"#,
            uid_xml(uid)
        ),
    )
}

#[test]
fn the_object_an_import_replaces_needs_the_import_right_and_keeps_its_owner() {
    let f = Fixture::new();
    let key = f.key("alice", "Encrypt Decrypt", "replaced");
    let forged = "000102030405060708090a0b0c0d0e0f";
    // Not Bob's: not found, and not replaced either.
    assert_eq!(f.outcome("bob", &[&import(&key, forged)]), ["ObjectNotFound"]);
    let material = bytes(&f.ok("alice", &on("Get", Some(&key))), Tag::KeyMaterial).unwrap();
    assert_ne!(hex::encode(material), forged);
    // Granted Import: replaced, and still Alice's (she gets it, Bob does not).
    f.grant(&key, "bob", "alice", &[Right::Import]);
    assert_eq!(f.outcome("bob", &[&import(&key, forged)]), ["Success"]);
    let material = bytes(&f.ok("alice", &on("Get", Some(&key))), Tag::KeyMaterial).unwrap();
    assert_eq!(hex::encode(material), forged);
    assert_eq!(f.outcome("bob", &[&on("Get", Some(&key))]), ["PermissionDenied"]);
}

#[test]
fn a_re_key_by_a_grantee_leaves_the_replacement_with_the_owner() {
    let f = Fixture::new();
    let key = f.key("alice", "Encrypt Decrypt", "rotated");
    f.grant(&key, "bob", "alice", &[Right::ReKey]);
    let replacement = text(&f.ok("bob", &on("ReKey", Some(&key))), Tag::UniqueIdentifier).unwrap();
    f.ok("alice", &on("Get", Some(&replacement)));
    assert_eq!(f.outcome("bob", &[&on("GetAttributes", Some(&replacement))]), ["ObjectNotFound"]);
}
