//! The dispatch observer hears every batch item once, with its operation and outcome, and the
//! dispatcher tells the transport which operation a message was.

mod support;

use std::sync::{Arc, Mutex};

use keyward_core::observer::DispatchObserver;
use keyward_core::{ClientIdentity, Dispatcher};
use keyward_kmip::enums::{Operation, ResultReason, ResultStatus};
use keyward_ttlv::KmipVersion::V1_4;
use keyward_ttlv::{Encoder, Limits};
use support::*;

type Heard = (Option<Operation>, ResultStatus, Option<ResultReason>);

#[derive(Default)]
struct Recorder(Mutex<Vec<Heard>>);

impl DispatchObserver for Recorder {
    fn item_answered(&self, operation: Option<Operation>, status: ResultStatus, reason: Option<ResultReason>) {
        self.0.lock().unwrap().push((operation, status, reason));
    }
}

fn observed() -> (Server, Arc<Recorder>) {
    let mut server = Server::new();
    let recorder = Arc::new(Recorder::default());
    let dispatcher = server.dispatcher.clone().with_observer(Arc::clone(&recorder) as Arc<dyn DispatchObserver>);
    server.dispatcher = dispatcher;
    (server, recorder)
}

fn heard(recorder: &Recorder) -> Vec<Heard> {
    std::mem::take(&mut *recorder.0.lock().unwrap())
}

#[test]
fn every_batch_item_is_heard_with_its_outcome() {
    let (server, recorder) = observed();
    server.send("alice", V1_4, "", &[&create_aes_1x("observed"), &on("Get", None)]);
    assert_eq!(
        heard(&recorder),
        [(Some(Operation::Create), ResultStatus::Success, None), (Some(Operation::Get), ResultStatus::Success, None),]
    );
    server.send("alice", V1_4, "", &[&on("Get", Some("no-such-object"))]);
    assert_eq!(
        heard(&recorder),
        [(Some(Operation::Get), ResultStatus::OperationFailed, Some(ResultReason::ItemNotFound))]
    );
}

#[test]
fn an_unreadable_message_is_one_failed_item_without_an_operation() {
    let (server, recorder) = observed();
    let handled = server.dispatcher.handle_message(
        &ClientIdentity::new("alice"),
        b"not ttlv at all",
        &Limits::default(),
        &mut Encoder::new(),
    );
    assert!(handled.ticket.is_none());
    assert_eq!(handled.operation, None);
    assert_eq!(heard(&recorder), [(None, ResultStatus::OperationFailed, Some(ResultReason::InvalidMessage))]);
}

#[test]
fn a_message_is_labelled_with_its_operation_when_its_items_agree() {
    let server = Server::new();
    let operation_of = |dispatcher: &Dispatcher, items: &[&str]| {
        let request = request_message(V1_4, "", items).to_ttlv();
        let handled =
            dispatcher.handle_message(&ClientIdentity::new("alice"), &request, &Limits::default(), &mut Encoder::new());
        if let Some(ticket) = handled.ticket {
            ticket.wait().unwrap();
        }
        handled.operation
    };
    let create = create_aes_1x("labelled");
    assert_eq!(operation_of(&server.dispatcher, &[&create]), Some(Operation::Create));
    assert_eq!(operation_of(&server.dispatcher, &[&on("Get", Some("x")), &on("Get", Some("y"))]), Some(Operation::Get));
    assert_eq!(operation_of(&server.dispatcher, &[&create, &on("Get", None)]), None, "a mixed batch");
}
