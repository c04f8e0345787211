//! What the dispatcher says about every batch item for the audit trail (issue 14, "Audit").
//!
//! keyward-core writes no file: when a transport gives the dispatcher an [`AuditSink`]
//! ([`Dispatcher::with_audit`](crate::Dispatcher::with_audit)), every answered batch item (and a
//! message refused whole) comes back in [`Handled::audit`](crate::Handled::audit) as an
//! [`AuditEvent`]. The transport adds what only it knows (peer address, certificate fingerprint),
//! appends the records to the trail and waits until they are durable before it answers a change.
//!
//! An event holds identifiers, never object contents: no key material, plaintext, ciphertext,
//! password or credential, and not the result message either (an error's text may quote a field
//! of the request).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use keyward_kmip::enums::{Operation, ResultReason, ResultStatus};
use keyward_ttlv::KmipVersion;

/// At most this many output identifiers are kept per item (a Locate may return thousands); the
/// event says how many more there were.
pub const MAX_OUTPUT_IDENTIFIERS: usize = 256;

/// One answered batch item, or one message refused whole (then `operation` is `None`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    /// The version the response speaks; `None` when the request could not be read that far.
    pub version: Option<KmipVersion>,
    pub operation: Option<Operation>,
    /// What a request that is not a KMIP operation asked for: a management API call
    /// ("POST /v1/grants"); recorded in place of the operation.
    pub action: Option<String>,
    /// The Unique Batch Item ID the client gave, as it gave it (an opaque value).
    pub batch_item_id: Option<Vec<u8>>,
    pub status: ResultStatus,
    pub reason: Option<ResultReason>,
    /// The objects the item referred to, with references (ID Placeholder, 2.x results and
    /// indexes) resolved; plus the objects it changed.
    pub inputs: Vec<String>,
    /// The objects it created or returned (the new key of a Create or Re-key, a Locate's finds).
    pub outputs: Vec<String>,
    /// How many output identifiers were left out beyond [`MAX_OUTPUT_IDENTIFIERS`].
    pub outputs_omitted: usize,
    /// For an item that changed objects, on a store several servers share: its commit's number
    /// in the cluster's order of commits ([`keyward_store::CommitTicket::order`]), which orders
    /// the changes of every node's trail.
    pub commit: Option<u64>,
}

/// Why a change was refused or an answer withheld: the trail cannot take records.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the audit trail cannot be written: {0}")]
pub struct AuditUnavailable(pub String);

/// Who sent a request, as the transport knows it. A connection's origin is made once and shared
/// by its requests' records.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditOrigin {
    /// The client identity the transport derived from the certificate.
    pub identity: String,
    /// SHA-256 of the client certificate's DER, in lowercase hexadecimal.
    pub fingerprint: Option<String>,
    /// The peer's address and port.
    pub peer: Option<String>,
    /// "kmip" (TTLV over TLS) or "https".
    pub transport: &'static str,
    /// The sink's rendering of the fields above, made at the first record ([`Self::rendered`]).
    pub rendering: Rendering,
}

impl AuditOrigin {
    /// The fields as `render` writes them, rendered at the first call and kept: every record of
    /// a connection writes the same identity, fingerprint and peer. The fields are not to be
    /// changed after it (a changed copy is a new origin: [`Rendering`] is not cloned).
    pub fn rendered(&self, render: impl FnOnce(&AuditOrigin) -> Vec<u8>) -> &[u8] {
        self.rendering.0.get_or_init(|| render(self).into_boxed_slice())
    }
}

/// [`AuditOrigin::rendered`]'s bytes: not part of the origin's value, so a copy starts without
/// them (`AuditOrigin { transport: "other", ..origin.clone() }` is rendered anew) and two
/// origins compare by their fields alone.
#[derive(Debug, Default)]
pub struct Rendering(std::sync::OnceLock<Box<[u8]>>);

impl Clone for Rendering {
    fn clone(&self) -> Rendering {
        Rendering::default()
    }
}

impl PartialEq for Rendering {
    fn eq(&self, _: &Rendering) -> bool {
        true
    }
}

impl Eq for Rendering {}

/// Waits until records are durable; completes with an error when they cannot be made so.
pub type Durable = Pin<Box<dyn Future<Output = Result<(), AuditUnavailable>> + Send>>;

/// The audit trail, as the dispatcher and the transports see it.
pub trait AuditSink: Send + Sync {
    /// Whether records can be written now. The dispatcher asks before it commits a change: when
    /// the trail fails closed and cannot be written, the change is refused (General Failure)
    /// rather than made unrecorded.
    fn writable(&self) -> Result<(), AuditUnavailable>;

    /// Appends the records of one message, in order. Returns a number to give to
    /// [`AuditSink::durable`] (not the records' sequence numbers, which checkpoints interleave). An error means the answer must not be sent (fail closed); a trail
    /// that fails open drops the records, says so, and returns Ok.
    fn append(&self, origin: &Arc<AuditOrigin>, events: Vec<AuditEvent>) -> Result<u64, AuditUnavailable>;

    /// Completes once every record appended up to the one `append` numbered `sequence` is
    /// durable.
    fn durable(&self, sequence: u64) -> Durable;

    /// Writes the closing checkpoint and makes everything durable (at a clean stop).
    fn close(&self) -> Result<(), AuditUnavailable> {
        Ok(())
    }

    /// Records work the server did on its own thread, without a transport: an asynchronous
    /// operation's outcome, a scheduled rotation. Waits, blocking this thread, until the records
    /// are durable when the work `changed` objects.
    fn record_blocking(
        &self,
        origin: &Arc<AuditOrigin>,
        events: Vec<AuditEvent>,
        changed: bool,
    ) -> Result<(), AuditUnavailable> {
        let sequence = self.append(origin, events)?;
        if changed { block_on(self.durable(sequence)) } else { Ok(()) }
    }
}

/// Drives `durable` to completion on this thread (parked between wake-ups): the server's own
/// workers are plain threads, not tasks of an executor.
fn block_on(mut durable: Durable) -> Result<(), AuditUnavailable> {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = std::task::Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut context = std::task::Context::from_waker(&waker);
    loop {
        match durable.as_mut().poll(&mut context) {
            std::task::Poll::Ready(outcome) => return outcome,
            std::task::Poll::Pending => std::thread::park(),
        }
    }
}

/// The identifiers an item touched, gathered while it runs.
#[derive(Debug, Default)]
pub(crate) struct Involved {
    pub(crate) inputs: Vec<String>,
    pub(crate) outputs: Vec<String>,
    pub(crate) outputs_omitted: usize,
    /// The item created or changed an object.
    pub(crate) changed: bool,
}

impl Involved {
    pub(crate) fn input(&mut self, uid: &str) {
        if !self.inputs.iter().any(|known| known == uid) {
            self.inputs.push(uid.to_string());
        }
    }

    pub(crate) fn output(&mut self, uid: &str) {
        if self.outputs.iter().any(|known| known == uid) {
            return;
        }
        if self.outputs.len() < MAX_OUTPUT_IDENTIFIERS {
            self.outputs.push(uid.to_string());
        } else {
            self.outputs_omitted += 1;
        }
    }
}
