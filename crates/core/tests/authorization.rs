//! Objects belong to the identity that made them: to others they do not exist (Object Not Found,
//! Item Not Found in 1.x, as for an identifier never issued), and they see nothing of
//! them in Locate; administrators manage everything.

mod support;

use keyward_ttlv::KmipVersion::{V1_4, V2_1};
use keyward_ttlv::Tag;
use support::*;

fn locate_all() -> &'static str {
    r#"<BatchItem><Operation type="Enumeration" value="Locate"/><RequestPayload/></BatchItem>"#
}

#[test]
fn another_client_is_denied_and_locates_nothing() {
    let server = Server::new();
    let uid = text(&server.ok("alice", V2_1, &create_aes_2x("alice-key")), Tag::UniqueIdentifier).unwrap();
    for operation in ["Get", "GetAttributes", "GetAttributeList", "Activate", "Destroy"] {
        assert_eq!(server.fails("bob", V2_1, &on(operation, Some(&uid))), "ObjectNotFound", "{operation}");
        assert_eq!(server.fails("bob", V1_4, &on(operation, Some(&uid))), "ItemNotFound", "{operation}");
    }
    assert!(texts(&server.ok("bob", V2_1, locate_all()), Tag::UniqueIdentifier).is_empty());
    assert_eq!(texts(&server.ok("alice", V2_1, locate_all()), Tag::UniqueIdentifier), vec![uid.clone()]);
}

#[test]
fn an_administrator_manages_every_object() {
    let server = Server::new();
    let uid = text(&server.ok("alice", V1_4, &create_aes_1x("alice-key")), Tag::UniqueIdentifier).unwrap();
    server.ok("admin", V1_4, &on("Get", Some(&uid)));
    server.ok("admin", V1_4, &on("Activate", Some(&uid)));
    assert_eq!(texts(&server.ok("admin", V1_4, locate_all()), Tag::UniqueIdentifier), vec![uid]);
}

#[test]
fn names_are_unique_per_owner() {
    let server = Server::new();
    server.ok("alice", V2_1, &create_aes_2x("shared-name"));
    // Another owner may use the same name: names do not leak across clients.
    server.ok("bob", V2_1, &create_aes_2x("shared-name"));
    assert_eq!(server.fails("alice", V2_1, &create_aes_2x("shared-name")), "NonUniqueNameAttribute");
}

/// Uniqueness holds under concurrency, not only in sequence: the store refuses a second claim on
/// a Name that another request took after this one checked, and the request, run again, sees it.
#[test]
fn concurrent_creates_of_one_name_let_exactly_one_win() {
    let server = Server::new();
    let reasons: Vec<String> = std::thread::scope(|scope| {
        let creates: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| {
                    let response = server.send("alice", V2_1, "", &[&create_aes_2x("contested")]);
                    let batch = batch_items(&response);
                    if status(batch[0]) == "Success" { "Success".to_string() } else { reason(batch[0]) }
                })
            })
            .collect();
        creates.into_iter().map(|c| c.join().unwrap()).collect()
    });
    assert_eq!(reasons.iter().filter(|r| *r == "Success").count(), 1, "{reasons:?}");
    assert!(reasons.iter().filter(|r| *r != "Success").all(|r| r == "NonUniqueNameAttribute"), "{reasons:?}");
}

#[test]
fn an_unknown_object_is_not_found() {
    let server = Server::new();
    assert_eq!(server.fails("alice", V2_1, &on("Get", Some("AAABBBCCC"))), "ObjectNotFound");
    assert_eq!(server.fails("alice", V1_4, &on("Get", Some("AAABBBCCC"))), "ItemNotFound");
}
