//! Running a request message: decode it, run its batch items in order under the batch options,
//! commit what they changed, and write the response for the version of the request.

use std::cell::RefCell;
use std::sync::Arc;

use keyward_crypto::random::SeededGenerator;
use keyward_kmip::enums::{BatchErrorContinuationOption, Operation, ResultReason, ResultStatus};
use keyward_kmip::message::{
    BatchItemError, ProtocolVersion, RequestBatchItem, RequestError, RequestMessage, ResponseBatchItem, ResponseMessage,
};
use keyward_kmip::{Bytes, DateTime};
use keyward_store::{CommitTicket, StoreError};
use keyward_ttlv::{Encoder, KmipVersion, Limits};

use crate::asynchronous::{AsyncWorker, Asynchronous, Finished};
use crate::audit::{AuditEvent, AuditOrigin, AuditSink, Involved};
use crate::context::{BatchMemory, Context, Pending};
use crate::error::OpError;
use crate::observer::{DispatchObserver, NoObserver};
use crate::operation_policy::{self, PolicyRequest};
use crate::pkcs11_relay::{Pkcs11Module, Pkcs11Relay};
use crate::rotation::ChangeListener;
use crate::streams::Streams;
use crate::{ClientIdentity, Services, ops};

mod budget;
mod cost;
mod deferral;

use budget::Budget;
pub use budget::DEFAULT_MAX_RESPONSE_SIZE;

/// How often a batch is run again when a concurrent request changed one of its objects between
/// its reads and its commit.
const COMMIT_ATTEMPTS: usize = 8;

/// The KMIP dispatcher. Shared by every connection; holds no lock across requests.
#[derive(Clone)]
pub struct Dispatcher {
    services: Arc<Services>,
    streams: Arc<Streams>,
    /// The relay of the PKCS#11 operation to the server's module; none unless configured.
    pkcs11: Option<Arc<Pkcs11Relay>>,
    /// The generator RNG Seed feeds and RNG Retrieve draws from (one per server).
    generator: Arc<SeededGenerator>,
    /// Operations answered Operation Pending, waiting for their Poll.
    asynchronous: Arc<Asynchronous>,
    /// Where deferred operations run, when the server gave one (else their Polls run them).
    worker: Option<Arc<dyn AsyncWorker>>,
    observer: Arc<dyn DispatchObserver>,
    /// The audit trail, when there is one: changes are refused while it cannot be written, and
    /// every answered item comes back as an [`AuditEvent`].
    audit: Option<Arc<dyn AuditSink>>,
    /// The server's bound on a response, whatever the client's Maximum Response Size (see
    /// `budget`).
    max_response_size: usize,
    /// Told which objects each commit changed (the rotation scheduler); none by default.
    changes: Option<Arc<dyn ChangeListener>>,
}

/// What [`Dispatcher::handle_message`] tells the transport besides the response.
#[derive(Debug)]
#[must_use = "a response must not be sent before its ticket completes"]
pub struct Handled {
    /// Completes once the request's changes are on disk; `None` when it changed nothing.
    pub ticket: Option<CommitTicket>,
    /// The operation of every batch item of the message; `None` when the message could not be
    /// read or mixes operations. Transports label their timings with it.
    pub operation: Option<Operation>,
    /// True when the request committed changes: its audit records must be durable before the
    /// response is sent.
    pub changed: bool,
    /// One event per answered batch item (one for a message refused whole), when the dispatcher
    /// has an audit sink; empty otherwise.
    pub audit: Vec<AuditEvent>,
}

impl Dispatcher {
    pub fn new(services: Services) -> Dispatcher {
        Dispatcher {
            services: Arc::new(services),
            streams: Arc::new(Streams::default()),
            pkcs11: None,
            generator: Arc::new(SeededGenerator::new()),
            asynchronous: Arc::new(Asynchronous::default()),
            worker: None,
            observer: Arc::new(NoObserver),
            audit: None,
            max_response_size: DEFAULT_MAX_RESPONSE_SIZE,
            changes: None,
        }
    }

    /// The same dispatcher, telling `listener` the objects each of its commits changes.
    pub fn with_change_listener(self, listener: Arc<dyn ChangeListener>) -> Dispatcher {
        Dispatcher { changes: Some(listener), ..self }
    }

    /// The same dispatcher, bounding every response (and the outputs a batch retains) to
    /// `max_response_size` bytes.
    pub fn with_max_response_size(self, max_response_size: usize) -> Dispatcher {
        Dispatcher { max_response_size, ..self }
    }

    /// The same dispatcher, running the operations it answers Operation Pending on `worker` (a
    /// thread pool of the server's) instead of when they are polled.
    pub fn with_async_worker(self, worker: Arc<dyn AsyncWorker>) -> Dispatcher {
        Dispatcher { asynchronous: Arc::new(Asynchronous::with_worker()), worker: Some(worker), ..self }
    }

    /// The same dispatcher, telling `observer` the outcome of every batch item it answers.
    pub fn with_observer(self, observer: Arc<dyn DispatchObserver>) -> Dispatcher {
        Dispatcher { observer, ..self }
    }

    /// The same dispatcher, performing the PKCS#11 operation on `module` (see `pkcs11_relay`).
    pub fn with_pkcs11(self, module: Arc<dyn Pkcs11Module>) -> Dispatcher {
        Dispatcher { pkcs11: Some(Arc::new(Pkcs11Relay::new(module))), ..self }
    }

    /// The same dispatcher, recording every batch item for `audit` (see [`crate::audit`]).
    pub fn with_audit(self, audit: Arc<dyn AuditSink>) -> Dispatcher {
        Dispatcher { audit: Some(audit), ..self }
    }

    /// The audit trail the transports append the events of [`Handled::audit`] to.
    pub fn audit(&self) -> Option<&Arc<dyn AuditSink>> {
        self.audit.as_ref()
    }

    pub fn services(&self) -> &Services {
        &self.services
    }

    /// True when the request holds work that may take long enough (milliseconds of CPU, or time
    /// growing with the client's input or the store: see `cost`) that a transport should run it
    /// off its I/O threads. Everything else costs microseconds and is better run in place than
    /// handed to another thread and back.
    ///
    /// Only the item headers are read (decoding the message here as well as in [`Self::handle`]
    /// cost 2 % of a Get); a malformed message is decoded, and refused, by `handle` either way.
    /// A store that waits on the network (a database) hands its own waits to the runtime (the
    /// postgres store's `blocking`): a request answered from its cache runs in place like any
    /// other, and only one that goes to the database gives up its thread.
    pub fn may_take_long(&self, request: &[u8]) -> bool {
        cost::may_take_long(request)
    }

    /// Handles one TTLV request message and writes the TTLV response into `out` (cleared first).
    /// When the request changed objects, the returned ticket completes once they are on disk; the
    /// response must not be sent before.
    pub fn handle(
        &self,
        client: &ClientIdentity,
        request: &[u8],
        limits: &Limits,
        out: &mut Encoder,
    ) -> Option<CommitTicket> {
        self.handle_message(client, request, limits, out).ticket
    }

    /// [`Self::handle`], also saying which operation the message was.
    pub fn handle_message(
        &self,
        client: &ClientIdentity,
        request: &[u8],
        limits: &Limits,
        out: &mut Encoder,
    ) -> Handled {
        out.clear();
        let now = self.services.clock.now();
        let root = match keyward_ttlv::decode(request, limits) {
            Ok(root) => root,
            Err(error) => {
                tracing::debug!(%error, client = %client.name, "undecodable request");
                return self.message_failure(out, None, now, &error.to_string());
            }
        };
        let message = match RequestMessage::decode(root) {
            Ok(message) => message,
            Err(RequestError::Malformed { error, version }) => {
                tracing::debug!(%error, client = %client.name, "malformed request");
                return self.message_failure(out, version, now, &error.to_string());
            }
            Err(RequestError::UnsupportedVersion(version)) => {
                let text = format!("protocol version {}.{} is not supported", version.major, version.minor);
                return self.message_failure(out, Some(version), now, &text);
            }
        };
        let operation = operation_of(&message);
        self.run(client, message, now, out, operation)
    }

    /// Answers a message that cannot be processed at all, and tells the observer.
    fn message_failure(&self, out: &mut Encoder, version: Option<ProtocolVersion>, now: i64, text: &str) -> Handled {
        let version = write_message_failure(out, version, now, text);
        self.observer.item_answered(None, ResultStatus::OperationFailed, Some(ResultReason::InvalidMessage));
        let audit = match self.audit {
            Some(_) => vec![AuditEvent {
                version: Some(version),
                operation: None,
                action: None,
                batch_item_id: None,
                status: ResultStatus::OperationFailed,
                reason: Some(ResultReason::InvalidMessage),
                inputs: Vec::new(),
                outputs: Vec::new(),
                outputs_omitted: 0,
                commit: None,
            }],
            None => Vec::new(),
        };
        Handled { ticket: None, operation: None, changed: false, audit }
    }

    /// Replaces a response whose audit records could not be written (the trail fails closed)
    /// by a refusal: one failed item, General Failure, in the version of the request.
    pub fn write_unaudited_refusal(&self, out: &mut Encoder, version: Option<KmipVersion>) {
        let version = version.unwrap_or(KmipVersion::V1_0);
        let message = "the audit trail cannot be written; the request is refused";
        let item = ResponseBatchItem::failure(None, None, ResultReason::GeneralFailure, message);
        let response = ResponseMessage::new(version, DateTime(self.services.clock.now()), vec![item]);
        out.clear();
        response.encode(out);
    }

    fn observe(&self, items: &[ResponseBatchItem]) {
        for item in items {
            self.observer.item_answered(item.operation, item.result_status, item.result_reason);
        }
    }

    fn run(
        &self,
        client: &ClientIdentity,
        message: RequestMessage,
        now: i64,
        out: &mut Encoder,
        operation: Option<Operation>,
    ) -> Handled {
        let mut attempt = 0;
        let mut deferred;
        let (items, ticket, involved) = loop {
            attempt += 1;
            let (items, mut pending, involved) = self.run_batch(client, &message, now);
            let polled = std::mem::take(&mut pending.polled);
            deferred = std::mem::take(&mut pending.deferred);
            let finish = |done: bool| polled.iter().for_each(|id| self.asynchronous.finish(id, done));
            if pending.is_empty() {
                finish(true);
                break (items, None, involved);
            }
            // A change the trail cannot record is not made (fail closed).
            if let Some(Err(error)) = self.audit.as_ref().map(|audit| audit.writable()) {
                tracing::error!(%error, "change refused: the audit trail cannot be written");
                finish(false);
                std::mem::take(&mut deferred).iter().for_each(|id| self.asynchronous.forget(id));
                let error = OpError::GeneralFailure(error.to_string());
                break (fail_all(&message, &error), None, inputs_only(involved));
            }
            let bookkeeping = pending.only_bookkeeping();
            let changes = pending.into_changes();
            let watched: Vec<String> = match &self.changes {
                Some(listener) => changes
                    .iter()
                    .map(keyward_store::Change::object)
                    .filter(|object| listener.watches(object))
                    .map(|object| object.unique_identifier.clone())
                    .collect(),
                None => Vec::new(),
            };
            match self.services.store.commit(changes) {
                Ok(ticket) => {
                    finish(true);
                    if let Some(listener) = self.changes.as_ref().filter(|_| !watched.is_empty()) {
                        listener.changed(watched);
                    }
                    break (items, Some(ticket), involved);
                }
                Err(StoreError::Conflict(uid)) if attempt < COMMIT_ATTEMPTS => {
                    finish(false);
                    // The batch runs again and defers its items again.
                    deferred.iter().for_each(|id| self.asynchronous.forget(id));
                    tracing::debug!(%uid, attempt, "concurrent change; running the batch again");
                }
                // Only bookkeeping (Fresh after a Get) was to be written: answer without it.
                // The items are answered as they ran: the polled results are handed out, the
                // deferred operations go to the worker; nothing changed, so no listener is told.
                Err(error) if bookkeeping => {
                    tracing::warn!(%error, "a bookkeeping change could not be written; answering without it");
                    finish(true);
                    break (items, None, involved);
                }
                Err(error) => {
                    finish(false);
                    // Every item is answered with the failure, the deferred ones too.
                    std::mem::take(&mut deferred).iter().for_each(|id| self.asynchronous.forget(id));
                    let error = OpError::Store(error);
                    break (fail_all(&message, &error), None, inputs_only(involved));
                }
            }
        };
        let changed = ticket.is_some();
        // A response that changed nothing may still have read changes not yet on disk.
        let ticket = ticket.or_else(|| Some(self.services.store.read_fence()).filter(|fence| !fence.is_ready()));
        let response = response_message(&message, now, items);
        response.encode(out);
        // Items were counted as they ran; the header and the small outputs are counted here. A
        // length too long to write is never sent cut short.
        let limit = budget::limit(self.max_response_size, message.header.maximum_response_size);
        let answered = if out.finish().map_or(true, |len| len > limit) {
            out.clear();
            let too_large = fail_all(&message, &OpError::ResponseTooLarge);
            self.observe(&too_large);
            response_message(&message, now, too_large.clone()).encode(out);
            too_large
        } else {
            self.observe(&response.batch_items);
            response.batch_items
        };
        for correlation in deferred {
            self.spawn_deferred(client, message.version, correlation);
        }
        let audit = match self.audit {
            Some(_) => audit_events(message.version, &answered, involved, ticket.as_ref().and_then(|t| t.order())),
            None => Vec::new(),
        };
        Handled { ticket, operation, changed, audit }
    }

    /// Hands a deferred operation to the worker, if there is one.
    fn spawn_deferred(&self, client: &ClientIdentity, version: KmipVersion, correlation: Vec<u8>) {
        let Some(worker) = &self.worker else { return };
        let (dispatcher, client) = (self.clone(), client.clone());
        worker.spawn(Box::new(move || dispatcher.complete_deferred(&client, version, &correlation)));
    }

    /// Runs a deferred operation as a request of its own (one batch item, synchronous) and keeps
    /// its outcome for the Poll; its changes are durable before the outcome is visible.
    fn complete_deferred(&self, client: &ClientIdentity, version: KmipVersion, correlation: &[u8]) {
        let Some(payload) = self.asynchronous.start(correlation) else { return };
        let request = RequestMessage::new(version, vec![*payload]).to_bytes();
        let mut out = Encoder::new();
        let mut handled = self.handle_message(client, &request, &Limits::default(), &mut out);
        let durable = handled.ticket.take().map_or(Ok(()), CommitTicket::wait);
        // No transport records this run: it is recorded here, durably before its outcome shows.
        let durable = durable.map_err(|e| e.to_string()).and_then(|()| match &self.audit {
            Some(sink) => {
                let origin = Arc::new(AuditOrigin {
                    identity: client.name.clone(),
                    transport: "asynchronous",
                    ..AuditOrigin::default()
                });
                let events = std::mem::take(&mut handled.audit);
                sink.record_blocking(&origin, events, handled.changed).map_err(|e| e.to_string())
            }
            None => Ok(()),
        });
        let answered = ResponseMessage::from_bytes(out.as_bytes()).ok().and_then(|r| r.batch_items.into_iter().next());
        let finished = match (durable, answered) {
            (Ok(()), Some(item)) => Finished {
                status: item.result_status,
                reason: item.result_reason,
                message: item.result_message,
                payload: item.payload,
            },
            (durable, _) => Finished {
                status: ResultStatus::OperationFailed,
                reason: Some(ResultReason::GeneralFailure),
                message: Some(durable.err().unwrap_or_else(|| "no answer".into())),
                payload: None,
            },
        };
        self.asynchronous.complete(correlation, finished);
    }

    /// Runs the batch items; returns their results and the changes to commit.
    fn run_batch(
        &self,
        client: &ClientIdentity,
        message: &RequestMessage,
        now: i64,
    ) -> (Vec<ResponseBatchItem>, Pending, Vec<Involved>) {
        let option = message.header.batch_error_continuation_option.unwrap_or(BatchErrorContinuationOption::Stop);
        let mut pending = Pending::default();
        let mut memory = BatchMemory::default();
        let mut results = Vec::with_capacity(message.batch_items.len());
        let limit = budget::limit(self.max_response_size, message.header.maximum_response_size);
        let mut budget = Budget::new(limit, message.version, message.batch_items.len());
        let entity = operation_policy::entity_of(&message.header);
        let mut involved = Vec::new();
        for item in &message.batch_items {
            let touched = RefCell::new(Involved::default());
            pending.checkpoint();
            let before = memory.checkpoint();
            let result = match item {
                Ok(item) => {
                    let mut cx = Context {
                        services: &self.services,
                        client,
                        operation: item.operation,
                        version: message.version,
                        now,
                        pending: &mut pending,
                        memory: &mut memory,
                        streams: &self.streams,
                        pkcs11: self.pkcs11.as_deref(),
                        generator: &self.generator,
                        asynchronous: &self.asynchronous,
                        ephemeral: item.ephemeral == Some(true),
                        policy_request: PolicyRequest { operation: Some(item.operation), entity: entity.clone() },
                        involved: self.audit.is_some().then_some(&touched),
                    };
                    let result = run_item(&mut cx, item, message);
                    match budget.retain(&result) {
                        Ok(()) => result,
                        // The output is dropped here, before the next item runs.
                        Err(error) => failure(message.version, result.operation, result.unique_batch_item_id, &error),
                    }
                }
                Err(BatchItemError { operation, unique_batch_item_id, error }) => {
                    failure(message.version, *operation, unique_batch_item_id.clone(), &OpError::Model(error.clone()))
                }
            };
            let failed = result.result_status == ResultStatus::OperationFailed;
            if failed {
                // A failed operation leaves nothing behind.
                pending.roll_back();
                memory.roll_back(before);
            }
            results.push(result);
            if self.audit.is_some() {
                involved.push(touched.into_inner());
            }
            if failed && option == BatchErrorContinuationOption::Undo {
                // Undone items keep their payload, as the 2.1 test cases show (BL-M-2-21).
                for done in results.iter_mut().filter(|r| r.result_status == ResultStatus::Success) {
                    done.result_status = ResultStatus::OperationUndone;
                }
                // An operation a Poll ran was undone with the rest: it may be polled again. Items
                // deferred (answered Operation Pending, not run) stay so.
                pending.polled.iter().for_each(|id| self.asynchronous.finish(id, false));
                let mut kept = Pending::default();
                kept.deferred = std::mem::take(&mut pending.deferred);
                return (results, kept, involved);
            }
            if failed && option != BatchErrorContinuationOption::Continue {
                break;
            }
        }
        (results, pending, involved)
    }
}

/// What a batch that was not committed involved: the objects it referred to, not those it would
/// have created.
fn inputs_only(involved: Vec<Involved>) -> Vec<Involved> {
    involved.into_iter().map(|i| Involved { inputs: i.inputs, ..Involved::default() }).collect()
}

/// The audit events of the answered items, with the identifiers each touched (none for an item
/// refused before it ran, or when the whole batch failed at its commit), and the number of the
/// commit of those that changed objects, when the store gives one.
fn audit_events(
    version: KmipVersion,
    answered: &[ResponseBatchItem],
    involved: Vec<Involved>,
    commit: Option<u64>,
) -> Vec<AuditEvent> {
    let mut involved = involved.into_iter();
    answered
        .iter()
        .map(|item| {
            let Involved { inputs, outputs, outputs_omitted, changed } = involved.next().unwrap_or_default();
            let committed = changed && item.result_status == ResultStatus::Success;
            AuditEvent {
                version: Some(version),
                operation: item.operation,
                action: None,
                batch_item_id: item.unique_batch_item_id.as_ref().map(|id| id.0.to_vec()),
                status: item.result_status,
                reason: item.result_reason,
                inputs,
                outputs,
                outputs_omitted,
                commit: commit.filter(|_| committed),
            }
        })
        .collect()
}

/// The one operation of a message's batch items, if they agree.
fn operation_of(message: &RequestMessage) -> Option<Operation> {
    let mut operations = message.batch_items.iter().map(|item| match item {
        Ok(item) => Some(item.operation),
        Err(error) => error.operation,
    });
    let first = operations.next()??;
    operations.all(|operation| operation == Some(first)).then_some(first)
}

fn run_item(cx: &mut Context<'_>, item: &RequestBatchItem, message: &RequestMessage) -> ResponseBatchItem {
    let id = item.unique_batch_item_id.clone();
    if let Some(extension) = item.message_extensions.iter().find(|e| e.criticality_indicator) {
        let error = OpError::UnknownCriticalExtension(extension.vendor_identification.clone());
        return failure(cx.version, Some(item.operation), id, &error);
    }
    if !defined_in(item.operation, cx.version) {
        return failure(cx.version, Some(item.operation), id, &OpError::OperationNotSupported(item.operation));
    }
    if let Err(error) = crate::access::enforce::may_run(cx) {
        return failure(cx.version, Some(item.operation), id, &error);
    }
    match deferral::decide(cx, item, message) {
        Ok(Some(correlation)) => return ResponseBatchItem::pending(item.operation, id, Some(Bytes::new(correlation))),
        Ok(None) => {}
        Err(error) => return failure(cx.version, Some(item.operation), id, &error),
    }
    match ops::execute(cx, &item.payload) {
        Ok(payload) => ResponseBatchItem::success(item.operation, id, payload),
        // A Poll of an operation another Poll is running: "no payload and a Result Status of
        // Pending" (1.4 §4.28).
        Err(OpError::StillPending) => ResponseBatchItem::pending(item.operation, id, None),
        Err(error) => {
            tracing::debug!(operation = ?item.operation, %error, "operation failed");
            failure(cx.version, Some(item.operation), id, &error)
        }
    }
}

/// Whether a message of `version` may carry the operation. One its version does not define (Sign
/// in a 1.0 message) is not supported in it (1.4 §11.1, "Server does not support operation":
/// Operation Not Supported): its answer would need tags that version lacks (Signature Data), and
/// Query in that version does not list it either. Discover Versions is the exception: it exists to
/// find a version both sides speak, and its request and answer use only 1.0's tags.
fn defined_in(operation: Operation, version: KmipVersion) -> bool {
    operation == Operation::DiscoverVersions || keyward_ttlv::KmipEnum::exists_in(operation, version)
}

fn failure(
    version: KmipVersion,
    operation: Option<Operation>,
    id: Option<Bytes>,
    error: &OpError,
) -> ResponseBatchItem {
    ResponseBatchItem::failure(operation, id, error.result_reason(version), error.to_string())
}

/// Every batch item of the message failed with the same error.
fn fail_all(message: &RequestMessage, error: &OpError) -> Vec<ResponseBatchItem> {
    message
        .batch_items
        .iter()
        .map(|item| match item {
            Ok(item) => failure(message.version, Some(item.operation), item.unique_batch_item_id.clone(), error),
            Err(e) => failure(message.version, e.operation, e.unique_batch_item_id.clone(), error),
        })
        .collect()
}

fn response_message(message: &RequestMessage, now: i64, items: Vec<ResponseBatchItem>) -> ResponseMessage {
    // The Client Correlation Value is not echoed: the OASIS 2.x test cases expect response
    // headers without it.
    ResponseMessage::new(message.version, DateTime(now), items)
}

/// The answer to a message that cannot be processed at all: a header and one failed batch item
/// without an Operation (1.4 §11.1). The header speaks the client's version when it could be
/// read and is one we know, else the nearest we speak.
fn write_message_failure(
    out: &mut Encoder,
    requested: Option<ProtocolVersion>,
    now: i64,
    message: &str,
) -> KmipVersion {
    let version = match requested {
        Some(v) => v.negotiate().map(|n| n.version).unwrap_or(if v.major < 1 {
            KmipVersion::V1_0
        } else {
            KmipVersion::LATEST
        }),
        None => KmipVersion::V1_0,
    };
    let item = ResponseBatchItem::failure(None, None, ResultReason::InvalidMessage, message);
    let response = ResponseMessage::new(version, DateTime(now), vec![item]);
    out.clear();
    response.encode(out);
    version
}
