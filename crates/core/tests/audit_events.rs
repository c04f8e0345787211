//! The audit events the dispatcher hands the transport: one per answered batch item, with the
//! identifiers it referred to (ID Placeholder resolved) and produced, and changes refused while
//! the trail cannot be written.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use keyward_core::audit::{AuditEvent, AuditOrigin, AuditSink, AuditUnavailable, Durable};
use keyward_core::{ClientIdentity, Handled};
use keyward_kmip::enums::{Operation, ResultReason, ResultStatus};
use keyward_ttlv::KmipVersion::{V1_4, V2_1};
use keyward_ttlv::{Encoder, Limits, Tag};
use support::*;

/// A trail that is writable until told otherwise, and records nothing itself.
#[derive(Default)]
struct Trail {
    broken: AtomicBool,
}

impl AuditSink for Trail {
    fn writable(&self) -> Result<(), AuditUnavailable> {
        match self.broken.load(Ordering::SeqCst) {
            true => Err(AuditUnavailable("disk full".into())),
            false => Ok(()),
        }
    }

    fn append(&self, _: &Arc<AuditOrigin>, _: Vec<AuditEvent>) -> Result<u64, AuditUnavailable> {
        Ok(0)
    }

    fn durable(&self, _: u64) -> Durable {
        Box::pin(std::future::ready(Ok(())))
    }
}

fn audited() -> (Server, Arc<Trail>) {
    let mut server = Server::new();
    let trail = Arc::new(Trail::default());
    server.dispatcher = server.dispatcher.clone().with_audit(Arc::clone(&trail) as Arc<dyn AuditSink>);
    (server, trail)
}

fn handle(server: &Server, version: keyward_ttlv::KmipVersion, items: &[&str]) -> (Handled, Encoder) {
    let request = request_message(version, "", items).to_ttlv();
    let mut out = Encoder::new();
    let mut handled =
        server.dispatcher.handle_message(&ClientIdentity::new("alice"), &request, &Limits::default(), &mut out);
    if let Some(ticket) = handled.ticket.take() {
        ticket.wait().unwrap();
    }
    (handled, out)
}

#[test]
fn every_item_is_an_event_with_its_identifiers() {
    let (server, _) = audited();
    let (handled, out) = handle(&server, V1_4, &[&create_aes_1x("audited"), &on("Activate", None), &on("Get", None)]);
    assert!(handled.changed);
    let response = keyward_ttlv::decode_owned(out.as_bytes(), &Limits::default()).unwrap();
    let uid = texts(&response, Tag::UniqueIdentifier)[0].clone();
    let events = handled.audit;
    assert_eq!(events.len(), 3);
    assert_eq!(events[0].operation, Some(Operation::Create));
    assert_eq!((events[0].inputs.clone(), events[0].outputs.clone()), (vec![], vec![uid.clone()]));
    assert_eq!((events[1].inputs.clone(), events[1].outputs.clone()), (vec![uid.clone()], vec![]));
    assert_eq!((events[2].inputs.clone(), events[2].outputs.clone()), (vec![uid.clone()], vec![]));
    assert!(events.iter().all(|e| e.status == ResultStatus::Success && e.version == Some(V1_4)));

    let (handled, _) = handle(&server, V2_1, &[&on("Get", Some("missing"))]);
    assert!(!handled.changed);
    let [event] = handled.audit.as_slice() else { panic!("{:?}", handled.audit) };
    assert_eq!(event.inputs, ["missing"]);
    assert_eq!(event.reason, Some(ResultReason::ObjectNotFound), "2.1's reason");
}

#[test]
fn an_unreadable_message_is_one_event() {
    let (server, _) = audited();
    let handled = server.dispatcher.handle_message(
        &ClientIdentity::new("alice"),
        b"junk",
        &Limits::default(),
        &mut Encoder::new(),
    );
    let [event] = handled.audit.as_slice() else { panic!("{:?}", handled.audit) };
    assert_eq!((event.operation, event.reason), (None, Some(ResultReason::InvalidMessage)));
}

#[test]
fn without_a_sink_there_are_no_events() {
    let server = Server::new();
    let (handled, _) = handle(&server, V1_4, &[&create_aes_1x("unaudited")]);
    assert!(handled.audit.is_empty());
}

#[test]
fn a_change_is_refused_while_the_trail_cannot_be_written() {
    let (server, trail) = audited();
    trail.broken.store(true, Ordering::SeqCst);
    let (handled, out) = handle(&server, V1_4, &[&create_aes_1x("refused")]);
    assert!(!handled.changed);
    let response = keyward_ttlv::decode_owned(out.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(reason(batch_items(&response)[0]), "GeneralFailure");
    assert_eq!(handled.audit[0].reason, Some(ResultReason::GeneralFailure));
    trail.broken.store(false, Ordering::SeqCst);
    let found = server.ok("alice", V1_4, &locate_name_1x("refused"));
    assert!(texts(&found, Tag::UniqueIdentifier).is_empty(), "nothing was stored");
}

fn locate_name_1x(name: &str) -> String {
    format!(
        r#"<BatchItem><Operation type="Enumeration" value="Locate"/><RequestPayload>
        <Attribute><AttributeName type="TextString" value="Name"/><AttributeValue>
        <NameValue type="TextString" value="{name}"/><NameType type="Enumeration" value="UninterpretedTextString"/></AttributeValue></Attribute>
        </RequestPayload></BatchItem>"#
    )
}
