//! A message may carry only the operations its version defines (1.4 §11.1, "Server does not
//! support operation"): RNG Retrieve and Sign, added in 1.2, are refused in 1.0 and 1.1 messages
//! rather than answered with tags those versions lack. Discover Versions, added in 1.1, is
//! answered in any version: it is how a client finds one both sides speak.

mod support;

use keyward_ttlv::KmipVersion::{V1_0, V1_1, V1_2};
use support::*;

fn rng_retrieve() -> String {
    item("RNGRetrieve", r#"<DataLength type="Integer" value="16"/>"#)
}

#[test]
fn an_operation_newer_than_the_message_is_not_supported() {
    let server = Server::new();
    for version in [V1_0, V1_1] {
        assert_eq!(server.fails("alice", version, &rng_retrieve()), "OperationNotSupported", "{version:?}");
        assert_eq!(server.fails("alice", version, &on("Sign", Some("any"))), "OperationNotSupported", "{version:?}");
    }
    server.ok("alice", V1_2, &rng_retrieve());
}

#[test]
fn discover_versions_is_answered_in_every_version() {
    let server = Server::new();
    for version in [V1_0, V1_1, V1_2] {
        server.ok("alice", version, &item("DiscoverVersions", ""));
    }
}
