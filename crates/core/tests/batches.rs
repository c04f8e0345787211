//! Batches: the ID Placeholder, Batch Error Continuation (Stop, Continue, Undo), Unique Batch Item
//! IDs, 2.x indirect identifiers, Maximum Response Size, and protocol versions.

mod support;

use keyward_ttlv::KmipVersion::{V1_0, V1_4, V2_1};
use keyward_ttlv::{Item, KmipVersion, Tag};
use support::*;

fn with_id(item: &str, id: &str) -> String {
    item.replacen(
        "/><RequestPayload>",
        &format!("/><UniqueBatchItemID type=\"ByteString\" value=\"{id}\"/><RequestPayload>"),
        1,
    )
}

fn statuses(response: &Item) -> Vec<String> {
    batch_items(response).iter().map(|b| status(b)).collect()
}

#[test]
fn the_id_placeholder_carries_a_new_key_through_the_batch() {
    let server = Server::new();
    let response =
        server.send("alice", V1_0, "", &[&create_aes_1x("chained"), &on("Activate", None), &on("Get", None)]);
    assert_eq!(statuses(&response), vec!["Success", "Success", "Success"], "{}", show(&response));
    let ids = texts(&response, Tag::UniqueIdentifier);
    assert!(ids.len() == 3 && ids.iter().all(|id| *id == ids[0]), "{ids:?}");
}

#[test]
fn without_a_placeholder_an_operation_lacks_its_identifier() {
    let server = Server::new();
    assert_eq!(server.fails("alice", V1_4, &on("Get", None)), "MissingData");
}

#[test]
fn stop_ends_the_batch_at_the_first_failure() {
    let server = Server::new();
    let response =
        server.send("alice", V1_4, "", &[&create_aes_1x("a"), &on("Get", Some("nope")), &create_aes_1x("b")]);
    assert_eq!(statuses(&response), vec!["Success", "OperationFailed"]);
    // What succeeded before the failure stays.
    let found = server.ok("alice", V1_4, &locate_name_1x("a"));
    assert_eq!(texts(&found, Tag::UniqueIdentifier).len(), 1);
}

#[test]
fn continue_runs_every_item() {
    let server = Server::new();
    let header = r#"<BatchErrorContinuationOption type="Enumeration" value="Continue"/>"#;
    let response =
        server.send("alice", V1_4, header, &[&create_aes_1x("a"), &on("Get", Some("nope")), &create_aes_1x("b")]);
    assert_eq!(statuses(&response), vec!["Success", "OperationFailed", "Success"]);
}

#[test]
fn undo_leaves_nothing_behind() {
    let server = Server::new();
    let header = r#"<BatchErrorContinuationOption type="Enumeration" value="Undo"/>"#;
    let response = server.send("alice", V1_4, header, &[&create_aes_1x("undone"), &on("Get", Some("nope"))]);
    assert_eq!(statuses(&response), vec!["OperationUndone", "OperationFailed"], "{}", show(&response));
    let found = server.ok("alice", V1_4, &locate_name_1x("undone"));
    assert!(texts(&found, Tag::UniqueIdentifier).is_empty(), "an undone Create must not persist");
}

#[test]
fn unique_batch_item_ids_are_echoed() {
    let server = Server::new();
    let first = with_id(&create_aes_1x("x"), "0102030405060708");
    let second = with_id(&on("Get", None), "1112131415161718");
    let response = server.send("alice", V1_4, "", &[&first, &second]);
    let xml = show(&response);
    assert!(xml.contains(r#"<UniqueBatchItemID type="ByteString" value="0102030405060708"/>"#), "{xml}");
    assert!(xml.contains(r#"<UniqueBatchItemID type="ByteString" value="1112131415161718"/>"#), "{xml}");
}

#[test]
fn a_failed_item_leaves_no_partial_change_under_continue() {
    let server = Server::new();
    let header = r#"<BatchErrorContinuationOption type="Enumeration" value="Continue"/>"#;
    // The second Create reuses the first's name: refused, and nothing of it remains.
    let response = server.send("alice", V2_1, header, &[&create_aes_2x("same"), &create_aes_2x("same")]);
    assert_eq!(statuses(&response), vec!["Success", "OperationFailed"]);
    assert_eq!(reason(batch_items(&response)[1]), "NonUniqueNameAttribute");
}

#[test]
fn indirect_identifiers_of_kmip_2_refer_to_earlier_results() {
    let server = Server::new();
    let activate_created = r#"<BatchItem><Operation type="Enumeration" value="Activate"/><RequestPayload>
        <UniqueIdentifier type="Enumeration" value="Create"/></RequestPayload></BatchItem>"#;
    let get_first = r#"<BatchItem><Operation type="Enumeration" value="GetAttributes"/><RequestPayload>
        <UniqueIdentifier type="Integer" value="0"/><AttributeReference type="Enumeration" value="State"/></RequestPayload></BatchItem>"#;
    let response = server.send(
        "alice",
        V2_1,
        "",
        &[&create_aes_2x("first"), &create_aes_2x("second"), activate_created, get_first],
    );
    assert_eq!(statuses(&response), vec!["Success"; 4], "{}", show(&response));
    let ids = texts(&response, Tag::UniqueIdentifier);
    // Activate acted on the last Create; Get Attributes on the first identifier returned.
    assert_eq!(ids[2], ids[1]);
    assert_eq!(ids[3], ids[0]);
    assert!(show(batch_items(&response)[3]).contains("PreActive"));
}

#[test]
fn a_response_larger_than_the_maximum_is_refused() {
    let server = Server::new();
    let query = r#"<BatchItem><Operation type="Enumeration" value="Query"/><RequestPayload>
        <QueryFunction type="Enumeration" value="QueryOperations"/><QueryFunction type="Enumeration" value="QueryObjects"/>
        </RequestPayload></BatchItem>"#;
    let small = server.send("alice", V1_4, r#"<MaximumResponseSize type="Integer" value="256"/>"#, &[query]);
    assert_eq!(reason(batch_items(&small)[0]), "ResponseTooLarge");
    let large = server.send("alice", V1_4, r#"<MaximumResponseSize type="Integer" value="100000"/>"#, &[query]);
    assert_eq!(statuses(&large), vec!["Success"]);
}

#[test]
fn a_critical_message_extension_we_do_not_know_is_refused() {
    let server = Server::new();
    let item = r#"<BatchItem><Operation type="Enumeration" value="Query"/><RequestPayload/>
        <MessageExtension><VendorIdentification type="TextString" value="acme"/><CriticalityIndicator type="Boolean" value="true"/>
        <VendorExtension/></MessageExtension></BatchItem>"#;
    assert_eq!(server.fails("alice", V2_1, item), "UnknownMessageExtension");
    assert_eq!(server.fails("alice", V1_4, item), "FeatureNotSupported");
}

fn version_message(major: i32, minor: i32) -> Item {
    let text = format!(
        r#"<RequestMessage><RequestHeader><ProtocolVersion><ProtocolVersionMajor type="Integer" value="{major}"/>
        <ProtocolVersionMinor type="Integer" value="{minor}"/></ProtocolVersion><BatchCount type="Integer" value="1"/></RequestHeader>
        <BatchItem><Operation type="Enumeration" value="DiscoverVersions"/><RequestPayload/></BatchItem></RequestMessage>"#
    );
    keyward_ttlv::xml::from_str(&text).unwrap()
}

#[test]
fn an_unknown_major_version_gets_invalid_message_without_an_operation() {
    let server = Server::new();
    let response = server.send_item("alice", &version_message(3, 0), KmipVersion::V2_1);
    let item = batch_items(&response)[0];
    assert_eq!(reason(item), "InvalidMessage");
    assert!(item.child(Tag::Operation).is_none());
}

#[test]
fn a_newer_minor_version_is_answered_in_ours() {
    let server = Server::new();
    let response = server.send_item("alice", &version_message(1, 9), KmipVersion::V1_4);
    assert_eq!(statuses(&response), vec!["Success"]);
    assert!(show(&response).contains(r#"<ProtocolVersionMinor type="Integer" value="4"/>"#));
}

#[test]
fn discover_versions_answers_the_versions_both_speak() {
    let server = Server::new();
    let all = server.ok(
        "alice",
        V1_4,
        r#"<BatchItem><Operation type="Enumeration" value="DiscoverVersions"/><RequestPayload/></BatchItem>"#,
    );
    assert_eq!(all.children().len(), 7, "{}", show(&all));
    let offered = r#"<BatchItem><Operation type="Enumeration" value="DiscoverVersions"/><RequestPayload>
        <ProtocolVersion><ProtocolVersionMajor type="Integer" value="1"/><ProtocolVersionMinor type="Integer" value="9"/></ProtocolVersion>
        <ProtocolVersion><ProtocolVersionMajor type="Integer" value="1"/><ProtocolVersionMinor type="Integer" value="2"/></ProtocolVersion>
        </RequestPayload></BatchItem>"#;
    let both = server.ok("alice", V1_4, offered);
    assert_eq!(both.children().len(), 1);
}

#[test]
fn a_request_that_is_not_ttlv_gets_invalid_message() {
    let server = Server::new();
    let mut out = keyward_ttlv::Encoder::new();
    let ticket = server.dispatcher.handle(
        &keyward_core::ClientIdentity::new("alice"),
        b"GET / HTTP/1.1\r\n\r\n",
        &keyward_ttlv::Limits::default(),
        &mut out,
    );
    assert!(ticket.is_none());
    let response = keyward_ttlv::decode_owned(out.as_bytes(), &keyward_ttlv::Limits::default()).unwrap();
    assert_eq!(reason(batch_items(&response)[0]), "InvalidMessage");
}

pub fn locate_name_1x(name: &str) -> String {
    format!(
        r#"<BatchItem><Operation type="Enumeration" value="Locate"/><RequestPayload>
        <Attribute><AttributeName type="TextString" value="Name"/><AttributeValue>
        <NameValue type="TextString" value="{name}"/><NameType type="Enumeration" value="UninterpretedTextString"/></AttributeValue></Attribute>
        </RequestPayload></BatchItem>"#
    )
}

/// The transports ask `may_take_long` before running a request in place: a batch with any slow
/// operation (key-pair generation, signing) goes to the blocking pool, a batch of quick ones and
/// anything unreadable (answered with an error at once) do not.
#[test]
fn slow_operations_are_told_from_quick_ones_by_their_headers() {
    let server = Server::new();
    let message = |items: &[&str]| request_message(V1_4, "", items).to_ttlv();
    let quick = message(&[&on("Get", Some("a")), &on("Activate", Some("a"))]);
    let slow = message(&[&on("Get", Some("a")), &on("CreateKeyPair", None)]);
    let dispatcher = &server.dispatcher;
    assert!(!dispatcher.may_take_long(&quick));
    assert!(dispatcher.may_take_long(&slow));
    assert!(!dispatcher.may_take_long(&quick[..quick.len() - 8]), "a cut message is answered at once");
    assert!(!dispatcher.may_take_long(b"not a message"));
}
