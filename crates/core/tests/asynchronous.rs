//! Asynchronous operations (1.4 §6.7, §6.8, §4.27 Cancel, §4.28 Poll; 2.1 §9.2, §11.3): which
//! items are answered Operation Pending, and how Poll and Cancel complete them.

mod support;

use std::sync::atomic::AtomicI64;
use std::sync::{Arc, Mutex};

use keyward_core::{AsyncWorker, AsynchronousPolicy, Dispatcher, Policy, Services};
use keyward_kmip::enums::Operation;
use keyward_store::MemoryStore;
use keyward_ttlv::KmipVersion::{V1_4, V2_1};
use keyward_ttlv::{Item, KmipVersion, Tag, Value};
use support::*;

const ASYNC_1X: &str = r#"<AsynchronousIndicator type="Boolean" value="true"/>"#;
const OPTIONAL_2X: &str = r#"<AsynchronousIndicator type="Enumeration" value="Optional"/>"#;
const MANDATORY_2X: &str = r#"<AsynchronousIndicator type="Enumeration" value="Mandatory"/>"#;
const PROHIBITED_2X: &str = r#"<AsynchronousIndicator type="Enumeration" value="Prohibited"/>"#;

fn server_with(asynchronous: AsynchronousPolicy) -> Server {
    let clock = Arc::new(TestClock(AtomicI64::new(NOW)));
    let policy = Policy { administrators: vec!["admin".into()], asynchronous, ..Policy::default() };
    let services = Services {
        store: Arc::new(MemoryStore::new(keyward_core::record_schema::schema())),
        policy,
        clock: clock.clone(),
    };
    Server { dispatcher: Dispatcher::new(services), clock }
}

fn key_pair_2x() -> String {
    item(
        "CreateKeyPair",
        r#"<CommonAttributes><CryptographicAlgorithm type="Enumeration" value="EC"/>
        <CryptographicDomainParameters><RecommendedCurve type="Enumeration" value="P_256"/></CryptographicDomainParameters>
        </CommonAttributes>
        <PrivateKeyAttributes><CryptographicUsageMask type="Integer" value="Sign"/></PrivateKeyAttributes>
        <PublicKeyAttributes><CryptographicUsageMask type="Integer" value="Verify"/></PublicKeyAttributes>"#,
    )
}

fn locate() -> String {
    item("Locate", "")
}

fn poll(correlation: &[u8]) -> String {
    item("Poll", &format!(r#"<AsynchronousCorrelationValue type="ByteString" value="{}"/>"#, hex::encode(correlation)))
}

fn cancel(correlation: &[u8]) -> String {
    item(
        "Cancel",
        &format!(r#"<AsynchronousCorrelationValue type="ByteString" value="{}"/>"#, hex::encode(correlation)),
    )
}

/// Sends one item with `header`; returns its batch item.
fn one(server: &Server, client: &str, version: KmipVersion, header: &str, request: &str) -> Item {
    let response = server.send(client, version, header, &[request]);
    batch_items(&response)[0].clone()
}

/// The Asynchronous Correlation Value of an item answered Operation Pending.
fn pending(batch_item: &Item) -> Vec<u8> {
    assert_eq!(status(batch_item), "OperationPending", "{}", show(batch_item));
    assert!(batch_item.child(Tag::ResponsePayload).is_none(), "a pending item has no payload");
    bytes(batch_item, Tag::AsynchronousCorrelationValue).expect("an Asynchronous Correlation Value")
}

#[test]
fn a_deferred_key_pair_is_made_when_its_owner_polls_and_only_then() {
    let server = Server::new();
    let correlation = pending(&one(&server, "alice", V2_1, OPTIONAL_2X, &key_pair_2x()));
    // Nothing was made yet: alice has no objects.
    assert!(texts(&server.ok("alice", V2_1, &locate()), Tag::UniqueIdentifier).is_empty());
    // Another client cannot see it: the answer of a value that never existed.
    let stranger = one(&server, "mallory", V2_1, "", &poll(&correlation));
    let unknown = one(&server, "mallory", V2_1, "", &poll(b"never issued"));
    assert_eq!(reason(&stranger), "InvalidAsynchronousCorrelationValue");
    assert_eq!((status(&stranger), reason(&stranger)), (status(&unknown), reason(&unknown)));
    // Its owner's Poll runs it and answers as Create Key Pair would have.
    let done = one(&server, "alice", V2_1, "", &poll(&correlation));
    assert_eq!(status(&done), "Success", "{}", show(&done));
    let payload = done.child(Tag::ResponsePayload).expect("the Create Key Pair payload");
    let private = text(payload, Tag::PrivateKeyUniqueIdentifier).expect("a private key");
    assert!(text(payload, Tag::PublicKeyUniqueIdentifier).is_some());
    server.ok("alice", V2_1, &item("Get", &uid_xml(&private)));
    // Once polled, it is gone.
    assert_eq!(reason(&one(&server, "alice", V2_1, "", &poll(&correlation))), "InvalidAsynchronousCorrelationValue");
}

#[test]
fn without_the_indicator_or_with_it_false_the_answer_is_synchronous() {
    let server = Server::new();
    for header in ["", r#"<AsynchronousIndicator type="Boolean" value="false"/>"#] {
        assert_eq!(status(&one(&server, "alice", V1_4, header, &locate())), "Success");
    }
    assert_eq!(status(&one(&server, "alice", V2_1, PROHIBITED_2X, &key_pair_2x())), "Success");
    // An operation that is quick is answered at once even when the client allows otherwise.
    assert_eq!(status(&one(&server, "alice", V1_4, ASYNC_1X, &create_aes_1x("quick"))), "Success");
    // So is a Locate by Name: a handful of candidates, however many objects there are.
    let by_name = item("Locate", &format!("<Attributes>{}</Attributes>", name_2x("quick")));
    assert_eq!(status(&one(&server, "alice", V2_1, OPTIONAL_2X, &by_name)), "Success");
    // So is an item with others in its batch (they could depend on its ID Placeholder).
    let response = server.send("alice", V1_4, ASYNC_1X, &[&locate(), &locate()]);
    assert!(batch_items(&response).iter().all(|b| status(b) == "Success"));
}

#[test]
fn a_1x_locate_is_polled_to_its_result() {
    let server = Server::new();
    server.ok("alice", V1_4, &create_aes_1x("k1"));
    let correlation = pending(&one(&server, "alice", V1_4, ASYNC_1X, &locate()));
    // 1.4 Table 352: an unknown value is Item Not Found.
    assert_eq!(reason(&one(&server, "bob", V1_4, "", &poll(&correlation))), "ItemNotFound");
    let done = one(&server, "alice", V1_4, "", &poll(&correlation));
    assert_eq!(status(&done), "Success");
    assert_eq!(texts(&done, Tag::UniqueIdentifier).len(), 1);
}

#[test]
fn a_deferred_operation_that_fails_makes_its_poll_fail_alike() {
    let server = Server::new();
    let archive = item("Archive", &uid_xml("no-such-object"));
    let correlation = pending(&one(&server, "alice", V2_1, OPTIONAL_2X, &archive));
    let polled = one(&server, "alice", V2_1, "", &poll(&correlation));
    assert_eq!((status(&polled), reason(&polled)), ("OperationFailed".into(), "ObjectNotFound".into()));
    // The failure was its result: it is not pending any more.
    assert_eq!(reason(&one(&server, "alice", V2_1, "", &poll(&correlation))), "InvalidAsynchronousCorrelationValue");
}

#[test]
fn cancel_answers_a_cancellation_result() {
    let server = Server::new();
    let cancellation =
        |batch_item: &Item| match batch_item.child(Tag::ResponsePayload).and_then(|p| p.child(Tag::CancellationResult))
        {
            Some(Item { value: Value::Enumeration(v), .. }) => *v,
            other => panic!("no Cancellation Result: {other:?}"),
        };
    let correlation = pending(&one(&server, "alice", V1_4, ASYNC_1X, &locate()));
    // Another client's Cancel finds nothing (Unavailable = 5), and cancels nothing.
    assert_eq!(cancellation(&one(&server, "bob", V1_4, "", &cancel(&correlation))), 5);
    // The owner's: Canceled (1); then the operation is gone.
    let canceled = one(&server, "alice", V1_4, "", &cancel(&correlation));
    assert_eq!(cancellation(&canceled), 1);
    assert_eq!(bytes(&canceled, Tag::AsynchronousCorrelationValue), Some(correlation.clone()));
    assert_eq!(reason(&one(&server, "alice", V1_4, "", &poll(&correlation))), "ItemNotFound");
    assert_eq!(cancellation(&one(&server, "alice", V1_4, "", &cancel(&correlation))), 5);
}

#[test]
fn mandatory_defers_every_item_and_fails_when_the_server_cannot() {
    let server = Server::new();
    let uid = text(&server.ok("alice", V2_1, &create_aes_2x("m")), Tag::UniqueIdentifier).unwrap();
    let response = server.send("alice", V2_1, MANDATORY_2X, &[&item("Get", &uid_xml(&uid)), &locate()]);
    let correlations: Vec<Vec<u8>> = batch_items(&response).into_iter().map(pending).collect();
    assert_ne!(correlations[0], correlations[1]);
    let got = one(&server, "alice", V2_1, "", &poll(&correlations[0]));
    assert_eq!(text(&got, Tag::UniqueIdentifier), Some(uid));
    let off = server_with(AsynchronousPolicy { enabled: false, ..AsynchronousPolicy::default() });
    assert_eq!(reason(&one(&off, "alice", V2_1, MANDATORY_2X, &locate())), "FeatureNotSupported");
}

#[test]
fn the_policy_turns_it_off_and_bounds_each_client() {
    let off = server_with(AsynchronousPolicy { enabled: false, ..AsynchronousPolicy::default() });
    assert_eq!(status(&one(&off, "alice", V1_4, ASYNC_1X, &locate())), "Success");
    let query = item("Query", r#"<QueryFunction type="Enumeration" value="QueryCapabilities"/>"#);
    let capability =
        |server: &Server| find(&server.ok("alice", V2_1, &query), Tag::AsynchronousCapability).map(|c| c.value.clone());
    assert_eq!(capability(&off), Some(Value::Boolean(false)));
    assert_eq!(capability(&Server::new()), Some(Value::Boolean(true)));

    let only_two = AsynchronousPolicy {
        max_pending_per_client: 2,
        operations: vec![Operation::Locate],
        ..AsynchronousPolicy::default()
    };
    let server = server_with(only_two);
    pending(&one(&server, "alice", V1_4, ASYNC_1X, &locate()));
    pending(&one(&server, "alice", V1_4, ASYNC_1X, &locate()));
    // A third is answered synchronously; another client still has its share.
    assert_eq!(status(&one(&server, "alice", V1_4, ASYNC_1X, &locate())), "Success");
    pending(&one(&server, "bob", V1_4, ASYNC_1X, &locate()));
    // Archive is not in this policy's list.
    assert_eq!(reason(&one(&server, "alice", V1_4, ASYNC_1X, &item("Archive", &uid_xml("x")))), "ItemNotFound");
}

#[test]
fn a_pending_operation_expires() {
    let server = Server::new();
    let correlation = pending(&one(&server, "alice", V1_4, ASYNC_1X, &locate()));
    server.advance(AsynchronousPolicy::default().lifetime + 1);
    assert_eq!(reason(&one(&server, "alice", V1_4, "", &poll(&correlation))), "ItemNotFound");
}

/// A worker that keeps its jobs until the test runs them.
#[derive(Default)]
struct ManualWorker {
    jobs: Mutex<Vec<Box<dyn FnOnce() + Send>>>,
}

impl AsyncWorker for ManualWorker {
    fn spawn(&self, job: Box<dyn FnOnce() + Send>) {
        self.jobs.lock().unwrap().push(job);
    }
}

impl ManualWorker {
    fn run_all(&self) {
        let jobs: Vec<_> = std::mem::take(&mut *self.jobs.lock().unwrap());
        for job in jobs {
            job();
        }
    }
}

fn server_with_worker() -> (Server, Arc<ManualWorker>) {
    let worker = Arc::new(ManualWorker::default());
    let clock = Arc::new(TestClock(AtomicI64::new(NOW)));
    let policy = Policy { administrators: vec!["admin".into()], ..Policy::default() };
    let services = Services {
        store: Arc::new(MemoryStore::new(keyward_core::record_schema::schema())),
        policy,
        clock: clock.clone(),
    };
    let dispatcher = Dispatcher::new(services).with_async_worker(worker.clone());
    (Server { dispatcher, clock }, worker)
}

#[test]
fn with_a_worker_a_poll_is_pending_until_the_worker_has_run_it() {
    let (server, worker) = server_with_worker();
    let correlation = pending(&one(&server, "alice", V2_1, OPTIONAL_2X, &key_pair_2x()));
    let early = one(&server, "alice", V2_1, "", &poll(&correlation));
    // 1.4 §4.28: "no payload and a Result Status of Pending".
    assert_eq!(status(&early), "OperationPending");
    assert!(early.child(Tag::ResponsePayload).is_none());
    worker.run_all();
    // Made by the worker, durable before its outcome is visible: alice's objects hold the pair.
    assert_eq!(texts(&server.ok("alice", V2_1, &locate()), Tag::UniqueIdentifier).len(), 2);
    assert_eq!(reason(&one(&server, "bob", V2_1, "", &poll(&correlation))), "InvalidAsynchronousCorrelationValue");
    let done = one(&server, "alice", V2_1, "", &poll(&correlation));
    assert_eq!(status(&done), "Success", "{}", show(&done));
    assert!(text(&done, Tag::PrivateKeyUniqueIdentifier).is_some());
    assert_eq!(reason(&one(&server, "alice", V2_1, "", &poll(&correlation))), "InvalidAsynchronousCorrelationValue");

    // A failure the worker met is the Poll's, with its reason.
    let archive = item("Archive", &uid_xml("no-such-object"));
    let failing = pending(&one(&server, "alice", V2_1, OPTIONAL_2X, &archive));
    worker.run_all();
    let polled = one(&server, "alice", V2_1, "", &poll(&failing));
    assert_eq!((status(&polled), reason(&polled)), ("OperationFailed".into(), "ObjectNotFound".into()));
}

#[test]
fn with_a_worker_cancel_tells_canceled_completed_and_failed_apart() {
    let (server, worker) = server_with_worker();
    let cancellation = |batch_item: &Item| match find(batch_item, Tag::CancellationResult).map(|c| &c.value) {
        Some(Value::Enumeration(v)) => *v,
        other => panic!("no Cancellation Result: {other:?}"),
    };
    let cancel_now = |correlation: &[u8]| cancellation(&one(&server, "alice", V1_4, "", &cancel(correlation)));
    // Not started: Canceled (1), and the worker then finds nothing to run.
    let queued = pending(&one(&server, "alice", V1_4, ASYNC_1X, &locate()));
    assert_eq!(cancel_now(&queued), 1);
    worker.run_all();
    assert_eq!(reason(&one(&server, "alice", V1_4, "", &poll(&queued))), "ItemNotFound");
    // Completed (3) and Failed (4), by the outcome; then forgotten.
    let succeeds = pending(&one(&server, "alice", V1_4, ASYNC_1X, &locate()));
    let fails = pending(&one(&server, "alice", V1_4, ASYNC_1X, &item("Archive", &uid_xml("no-such-object"))));
    worker.run_all();
    assert_eq!(cancel_now(&succeeds), 3);
    assert_eq!(cancel_now(&fails), 4);
    assert_eq!(cancel_now(&succeeds), 5);
}

#[test]
fn an_undone_batch_leaves_its_deferred_items_pending() {
    // 2.1 Mandatory defers the Locate; the Poll of nothing fails and Undo undoes what ran. The
    // Locate had not run: it is still pending, with or without a worker.
    let header = format!(r#"{MANDATORY_2X}<BatchErrorContinuationOption type="Enumeration" value="Undo"/>"#);
    let (with_worker, worker) = server_with_worker();
    for (server, worker) in [(&Server::new(), None), (&with_worker, Some(&worker))] {
        let response = server.send("alice", V2_1, &header, &[&locate(), &poll(b"nothing")]);
        let items = batch_items(&response);
        let correlation = pending(items[0]);
        assert_eq!(status(items[1]), "OperationFailed");
        if let Some(worker) = worker {
            worker.run_all();
        }
        assert_eq!(status(&one(server, "alice", V2_1, "", &poll(&correlation))), "Success");
    }
}

/// A trail that keeps what it is given.
#[derive(Default)]
struct KeptTrail {
    kept: Mutex<Vec<(String, &'static str, keyward_core::AuditEvent)>>,
}

impl keyward_core::AuditSink for KeptTrail {
    fn writable(&self) -> Result<(), keyward_core::AuditUnavailable> {
        Ok(())
    }

    fn append(
        &self,
        origin: &Arc<keyward_core::AuditOrigin>,
        events: Vec<keyward_core::AuditEvent>,
    ) -> Result<u64, keyward_core::AuditUnavailable> {
        let mut kept = self.kept.lock().unwrap();
        kept.extend(events.into_iter().map(|e| (origin.identity.clone(), origin.transport, e)));
        Ok(kept.len() as u64)
    }

    fn durable(&self, _: u64) -> keyward_core::audit::Durable {
        Box::pin(std::future::ready(Ok(())))
    }
}

#[test]
fn a_deferred_operation_run_by_the_worker_is_recorded_with_what_it_made() {
    let (mut server, worker) = server_with_worker();
    let trail = Arc::new(KeptTrail::default());
    server.dispatcher = server.dispatcher.clone().with_audit(trail.clone());
    pending(&one(&server, "alice", V2_1, OPTIONAL_2X, &key_pair_2x()));
    // The transport records the Pending answer; the worker's run has no transport.
    assert!(trail.kept.lock().unwrap().is_empty());
    worker.run_all();
    let kept = trail.kept.lock().unwrap();
    let [(identity, transport, event)] = kept.as_slice() else { panic!("{kept:?}") };
    assert_eq!((identity.as_str(), *transport), ("alice", "asynchronous"));
    assert_eq!(event.operation, Some(Operation::CreateKeyPair));
    assert_eq!(event.status, keyward_kmip::enums::ResultStatus::Success);
    assert_eq!(event.outputs.len(), 2, "{event:?}");
}
