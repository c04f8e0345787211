//! Running a request message: decode it, run its batch items in order under the batch options,
//! commit what they changed, and write the response for the version of the request.

use std::sync::Arc;

use keyward_kmip::enums::{BatchErrorContinuationOption, Operation, ResultReason, ResultStatus};
use keyward_kmip::message::{
    BatchItemError, ProtocolVersion, RequestBatchItem, RequestError, RequestMessage, ResponseBatchItem, ResponseMessage,
};
use keyward_kmip::{Bytes, DateTime};
use keyward_store::{CommitTicket, StoreError};
use keyward_ttlv::{Encoder, KmipVersion, Limits};

use crate::context::{BatchMemory, Context, Pending};
use crate::error::OpError;
use crate::observer::{DispatchObserver, NoObserver};
use crate::streams::Streams;
use crate::{ClientIdentity, Services, ops};

mod budget;
mod cost;

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
    observer: Arc<dyn DispatchObserver>,
    /// The server's bound on a response, whatever the client's Maximum Response Size (see
    /// `budget`).
    max_response_size: usize,
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
}

impl Dispatcher {
    pub fn new(services: Services) -> Dispatcher {
        Dispatcher {
            services: Arc::new(services),
            streams: Arc::new(Streams::default()),
            observer: Arc::new(NoObserver),
            max_response_size: DEFAULT_MAX_RESPONSE_SIZE,
        }
    }

    /// The same dispatcher, bounding every response (and the outputs a batch retains) to
    /// `max_response_size` bytes.
    pub fn with_max_response_size(self, max_response_size: usize) -> Dispatcher {
        Dispatcher { max_response_size, ..self }
    }

    /// The same dispatcher, telling `observer` the outcome of every batch item it answers.
    pub fn with_observer(self, observer: Arc<dyn DispatchObserver>) -> Dispatcher {
        Dispatcher { observer, ..self }
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
        let ticket = self.run(client, message, now, out);
        Handled { ticket, operation }
    }

    /// Answers a message that cannot be processed at all, and tells the observer.
    fn message_failure(&self, out: &mut Encoder, version: Option<ProtocolVersion>, now: i64, text: &str) -> Handled {
        write_message_failure(out, version, now, text);
        self.observer.item_answered(None, ResultStatus::OperationFailed, Some(ResultReason::InvalidMessage));
        Handled { ticket: None, operation: None }
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
    ) -> Option<CommitTicket> {
        let mut attempt = 0;
        let (items, ticket) = loop {
            attempt += 1;
            let (items, pending) = self.run_batch(client, &message, now);
            if pending.is_empty() {
                break (items, None);
            }
            let bookkeeping = pending.only_bookkeeping();
            match self.services.store.commit(pending.into_changes()) {
                Ok(ticket) => break (items, Some(ticket)),
                Err(StoreError::Conflict(uid)) if attempt < COMMIT_ATTEMPTS => {
                    tracing::debug!(%uid, attempt, "concurrent change; running the batch again");
                }
                // Only bookkeeping (Fresh after a Get) was to be written: answer without it.
                Err(error) if bookkeeping => {
                    tracing::warn!(%error, "a bookkeeping change could not be written; answering without it");
                    break (items, None);
                }
                Err(error) => {
                    let error = OpError::Store(error);
                    break (fail_all(&message, &error), None);
                }
            }
        };
        // A response that changed nothing may still have read changes not yet on disk.
        let ticket = ticket.or_else(|| Some(self.services.store.read_fence()).filter(|fence| !fence.is_ready()));
        let response = response_message(&message, now, items);
        response.encode(out);
        // Items were counted as they ran; the header and the small outputs are counted here. A
        // length too long to write is never sent cut short.
        let limit = budget::limit(self.max_response_size, message.header.maximum_response_size);
        if out.finish().map_or(true, |len| len > limit) {
            out.clear();
            let too_large = fail_all(&message, &OpError::ResponseTooLarge);
            self.observe(&too_large);
            response_message(&message, now, too_large).encode(out);
        } else {
            self.observe(&response.batch_items);
        }
        ticket
    }

    /// Runs the batch items; returns their results and the changes to commit.
    fn run_batch(
        &self,
        client: &ClientIdentity,
        message: &RequestMessage,
        now: i64,
    ) -> (Vec<ResponseBatchItem>, Pending) {
        let option = message.header.batch_error_continuation_option.unwrap_or(BatchErrorContinuationOption::Stop);
        let mut pending = Pending::default();
        let mut memory = BatchMemory::default();
        let mut results = Vec::with_capacity(message.batch_items.len());
        let limit = budget::limit(self.max_response_size, message.header.maximum_response_size);
        let mut budget = Budget::new(limit, message.version, message.batch_items.len());
        for item in &message.batch_items {
            pending.checkpoint();
            let before = memory.checkpoint();
            let result = match item {
                Ok(item) => {
                    let mut cx = Context {
                        services: &self.services,
                        client,
                        version: message.version,
                        now,
                        pending: &mut pending,
                        memory: &mut memory,
                        streams: &self.streams,
                        ephemeral: item.ephemeral == Some(true),
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
            if failed && option == BatchErrorContinuationOption::Undo {
                // Undone items keep their payload, as the 2.1 test cases show (BL-M-2-21).
                for done in results.iter_mut().filter(|r| r.result_status == ResultStatus::Success) {
                    done.result_status = ResultStatus::OperationUndone;
                }
                return (results, Pending::default());
            }
            if failed && option != BatchErrorContinuationOption::Continue {
                break;
            }
        }
        (results, pending)
    }
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
    if message.header.asynchronous_indicator.is_some_and(|a| a.is_mandatory()) {
        return failure(cx.version, Some(item.operation), id, &OpError::AsynchronousRequired);
    }
    if !defined_in(item.operation, cx.version) {
        return failure(cx.version, Some(item.operation), id, &OpError::OperationNotSupported(item.operation));
    }
    match ops::execute(cx, &item.payload) {
        Ok(payload) => ResponseBatchItem::success(item.operation, id, payload),
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
fn write_message_failure(out: &mut Encoder, requested: Option<ProtocolVersion>, now: i64, message: &str) {
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
}
