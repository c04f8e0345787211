//! Asynchronous operations (1.4 §6.7 Asynchronous Indicator, §6.8 Asynchronous Correlation Value,
//! §4.27 Cancel, §4.28 Poll; 2.1 §9.2, §11.3, §6.1.5 and §6.1.38).
//!
//! A client that sets the Asynchronous Indicator (True in 1.x and 2.0, Optional or Mandatory in
//! 2.1) lets the server answer an item Operation Pending with an Asynchronous Correlation Value;
//! "the server decides which operations are performed synchronously or asynchronously" (1.4
//! §6.8). This server defers the operations that may take long ([`AsynchronousPolicy`]), when
//! the item is alone in its batch: a later item could depend on its result through the ID
//! Placeholder, which a deferred operation does not set in time.
//!
//! The core does no I/O and has no threads. A deferred operation is kept here as its request
//! payload and completed in one of two ways:
//! - with an [`AsyncWorker`] (a thread pool the server gives `Dispatcher::with_async_worker`; the
//!   server uses tokio's blocking pool), the worker runs it as a request of its own once the
//!   deferring batch is answered, waits for its commit, and keeps its outcome here; a Poll before
//!   then is answered Operation Pending, one after gets the outcome;
//! - without one, lazily: it runs when its client Polls, inside the Poll's batch (whose commit
//!   makes its changes durable); a Poll while another Poll runs it gets Operation Pending.
//!
//! Either way the Poll answers "the response that would have been sent if the operation had
//! completed synchronously" (1.4 §4.28). The transports run a Poll off their I/O threads
//! (`dispatch::cost`), as they would the operation itself.
//!
//! Memory is bounded: a client may have [`AsynchronousPolicy::max_pending_per_client`] operations
//! pending or completed and not yet polled, all clients together [`MAX_PENDING`]; past that, items
//! are answered synchronously, which the client accepted as possible. An operation and its outcome
//! are forgotten [`AsynchronousPolicy::lifetime`] seconds after it was deferred (one running is
//! kept until it ends). An outcome is no larger than a response the server would send. An operation is visible only to
//! the client that asked: another client's Poll or Cancel gets the answer of a correlation value
//! that never existed.

use std::collections::HashMap;
use std::sync::Mutex;

use keyward_kmip::enums::{CancellationResult, Operation, ResultReason, ResultStatus};
use keyward_kmip::payloads::{RequestPayload, ResponsePayload};

use crate::error::{OpError, OpResult};

/// The most operations pending at once, for all clients together.
pub const MAX_PENDING: usize = 4096;

/// Which operations a client may have answered asynchronously, and how many.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AsynchronousPolicy {
    /// Off: every request is answered synchronously, whatever its Asynchronous Indicator, and
    /// Query says the server has no asynchronous capability.
    pub enabled: bool,
    /// The operations deferred when the client allows it.
    pub operations: Vec<Operation>,
    /// The most operations one client may have pending.
    pub max_pending_per_client: usize,
    /// How long a pending operation waits for its Poll, in seconds.
    pub lifetime: i64,
}

/// The operations whose cost grows with the store or is high by nature: Locate (every object of
/// the client may be a candidate), Archive and Recover (they move the object's material), key-pair
/// generation and certification.
pub const DEFAULT_ASYNCHRONOUS_OPERATIONS: &[Operation] = &[
    Operation::Locate,
    Operation::Archive,
    Operation::Recover,
    Operation::CreateKeyPair,
    Operation::ReKeyKeyPair,
    Operation::Certify,
    Operation::ReCertify,
];

impl Default for AsynchronousPolicy {
    fn default() -> Self {
        AsynchronousPolicy {
            enabled: true,
            operations: DEFAULT_ASYNCHRONOUS_OPERATIONS.to_vec(),
            max_pending_per_client: 16,
            lifetime: 600,
        }
    }
}

impl AsynchronousPolicy {
    /// Whether an item of `operation` may be deferred.
    pub fn defers(&self, operation: Operation) -> bool {
        self.enabled && self.operations.contains(&operation)
    }
}

/// Runs deferred operations in the background: a thread pool the server provides (the core has
/// no threads of its own). Without one, a deferred operation runs when it is polled.
pub trait AsyncWorker: Send + Sync {
    /// Runs `job` soon, on a thread where blocking is fine.
    fn spawn(&self, job: Box<dyn FnOnce() + Send>);
}

/// The outcome of an operation a worker completed, kept until its Poll or Cancel.
#[derive(Clone, Debug)]
pub(crate) struct Finished {
    pub(crate) status: ResultStatus,
    pub(crate) reason: Option<ResultReason>,
    pub(crate) message: Option<String>,
    pub(crate) payload: Option<ResponsePayload>,
}

enum State {
    /// Waiting for its Poll (no worker) or for the worker.
    Queued,
    /// A Poll or the worker is running it.
    Running,
    /// The worker completed it.
    Done(Box<Finished>),
}

struct Entry {
    owner: String,
    deferred_at: i64,
    payload: Box<RequestPayload>,
    state: State,
    /// A worker runs it; a Poll only collects the outcome.
    by_worker: bool,
}

/// What a Poll finds.
pub(crate) enum Polled {
    /// The operation to run now; the Poll holds it until [`Asynchronous::finish`].
    Run(Box<RequestPayload>),
    /// Not completed yet: a Poll or the worker is running it, or the worker has not started it.
    Pending,
    /// The worker's outcome, now handed over (and forgotten here).
    Done(Box<Finished>),
}

/// The operations pending, shared by all requests.
#[derive(Default)]
pub struct Asynchronous {
    entries: Mutex<HashMap<Vec<u8>, Entry>>,
    /// A worker runs deferred operations (see [`AsyncWorker`]); else their Polls do.
    by_worker: bool,
}

fn poisoned() -> OpError {
    OpError::GeneralFailure("table of asynchronous operations poisoned".into())
}

impl Asynchronous {
    /// A table whose operations a worker runs.
    pub(crate) fn with_worker() -> Asynchronous {
        Asynchronous { by_worker: true, ..Asynchronous::default() }
    }

    /// Keeps `payload` for a later Poll (or for the worker) and returns its
    /// Asynchronous Correlation Value, or `None` when the client or the server has as many
    /// operations pending (or completed and not yet polled) as it may: the item is then answered
    /// synchronously.
    pub(crate) fn defer(
        &self,
        policy: &AsynchronousPolicy,
        owner: &str,
        now: i64,
        payload: &RequestPayload,
    ) -> OpResult<Option<Vec<u8>>> {
        let by_worker = self.by_worker;
        let mut entries = self.entries.lock().map_err(|_| poisoned())?;
        entries.retain(|_, e| matches!(e.state, State::Running) || now - e.deferred_at <= policy.lifetime);
        let owned = entries.values().filter(|e| e.owner == owner).count();
        if entries.len() >= MAX_PENDING || owned >= policy.max_pending_per_client {
            return Ok(None);
        }
        let correlation = keyward_crypto::random_bytes(16).map_err(|e| OpError::CryptographicFailure(e.to_string()))?;
        let payload = Box::new(payload.clone());
        let entry = Entry { owner: owner.to_string(), deferred_at: now, payload, state: State::Queued, by_worker };
        entries.insert(correlation.clone(), entry);
        Ok(Some(correlation))
    }

    /// What a Poll of `owner` finds. An unknown value, an expired operation and another client's
    /// are all [`OpError::UnknownCorrelationValue`].
    pub(crate) fn poll(
        &self,
        policy: &AsynchronousPolicy,
        owner: &str,
        now: i64,
        correlation: &[u8],
    ) -> OpResult<Polled> {
        let mut entries = self.entries.lock().map_err(|_| poisoned())?;
        let entry = match entries.get_mut(correlation) {
            Some(entry) if entry.owner == owner && now - entry.deferred_at <= policy.lifetime => entry,
            Some(entry) if entry.owner == owner && matches!(entry.state, State::Running) => entry,
            _ => return Err(OpError::UnknownCorrelationValue),
        };
        match entry.state {
            State::Queued if !entry.by_worker => {
                entry.state = State::Running;
                Ok(Polled::Run(entry.payload.clone()))
            }
            State::Queued | State::Running => Ok(Polled::Pending),
            State::Done(_) => match entries.remove(correlation).map(|e| e.state) {
                Some(State::Done(finished)) => Ok(Polled::Done(finished)),
                _ => Err(OpError::UnknownCorrelationValue),
            },
        }
    }

    /// Ends what a Poll started: the operation is forgotten once the Poll's batch was answered
    /// with its result (`done`), and is pending again when that batch was not committed.
    pub(crate) fn finish(&self, correlation: &[u8], done: bool) {
        let Ok(mut entries) = self.entries.lock() else { return };
        if done {
            entries.remove(correlation);
        } else if let Some(entry) = entries.get_mut(correlation) {
            entry.state = State::Queued;
        }
    }

    /// Forgets an operation deferred by a batch that is not answered as it ran.
    pub(crate) fn forget(&self, correlation: &[u8]) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(correlation);
        }
    }

    /// The worker starts an operation: its payload, or `None` when it was canceled (or expired)
    /// in the meantime.
    pub(crate) fn start(&self, correlation: &[u8]) -> Option<Box<RequestPayload>> {
        let mut entries = self.entries.lock().ok()?;
        let entry = entries.get_mut(correlation).filter(|e| matches!(e.state, State::Queued))?;
        entry.state = State::Running;
        Some(entry.payload.clone())
    }

    /// The worker completed an operation: its outcome waits for the Poll (or Cancel).
    pub(crate) fn complete(&self, correlation: &[u8], finished: Finished) {
        let Ok(mut entries) = self.entries.lock() else { return };
        if let Some(entry) = entries.get_mut(correlation) {
            entry.state = State::Done(Box::new(finished));
        }
    }

    /// Cancel (1.4 §4.27): an operation not started is Canceled; one running is Unable to Cancel;
    /// one the worker completed is Completed or Failed, by its outcome (and forgotten); any other
    /// value, another client's included, is Unavailable ("did not match any recently pending or
    /// completed asynchronous operations"). Cancel is never itself asynchronous.
    pub(crate) fn cancel(&self, owner: &str, correlation: &[u8]) -> OpResult<CancellationResult> {
        let mut entries = self.entries.lock().map_err(|_| poisoned())?;
        let result = match entries.get(correlation) {
            Some(entry) if entry.owner == owner => match &entry.state {
                State::Running => return Ok(CancellationResult::UnableToCancel),
                State::Queued => CancellationResult::Canceled,
                State::Done(finished) if finished.status == ResultStatus::Success => CancellationResult::Completed,
                State::Done(_) => CancellationResult::Failed,
            },
            _ => return Ok(CancellationResult::Unavailable),
        };
        entries.remove(correlation);
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use keyward_kmip::payloads::ping::PingRequest;

    use super::*;

    fn payload() -> RequestPayload {
        RequestPayload::Ping(PingRequest {})
    }

    fn policy() -> AsynchronousPolicy {
        AsynchronousPolicy { max_pending_per_client: 2, lifetime: 10, ..AsynchronousPolicy::default() }
    }

    #[test]
    fn only_the_owner_polls_and_a_poll_runs_it_once() {
        let table = Asynchronous::default();
        let id = table.defer(&policy(), "alice", 0, &payload()).unwrap().unwrap();
        assert!(matches!(table.poll(&policy(), "bob", 0, &id), Err(OpError::UnknownCorrelationValue)));
        assert!(matches!(table.poll(&policy(), "alice", 0, &id), Ok(Polled::Run(_))));
        assert!(matches!(table.poll(&policy(), "alice", 0, &id), Ok(Polled::Pending)));
        table.finish(&id, false);
        assert!(matches!(table.poll(&policy(), "alice", 0, &id), Ok(Polled::Run(_))));
        table.finish(&id, true);
        assert!(matches!(table.poll(&policy(), "alice", 0, &id), Err(OpError::UnknownCorrelationValue)));
    }

    #[test]
    fn a_client_has_a_bounded_number_pending_and_they_expire() {
        let table = Asynchronous::default();
        let first = table.defer(&policy(), "alice", 0, &payload()).unwrap().unwrap();
        table.defer(&policy(), "alice", 0, &payload()).unwrap().unwrap();
        assert_eq!(table.defer(&policy(), "alice", 0, &payload()).unwrap(), None, "answered synchronously");
        assert!(table.defer(&policy(), "bob", 0, &payload()).unwrap().is_some(), "others are not held up");
        assert!(matches!(table.poll(&policy(), "alice", 11, &first), Err(OpError::UnknownCorrelationValue)));
        assert!(table.defer(&policy(), "alice", 11, &payload()).unwrap().is_some(), "expired ones are dropped");
    }

    #[test]
    fn cancel_answers_each_cancellation_result_it_can() {
        let table = Asynchronous::default();
        let id = table.defer(&policy(), "alice", 0, &payload()).unwrap().unwrap();
        assert_eq!(table.cancel("bob", &id).unwrap(), CancellationResult::Unavailable);
        let running = table.defer(&policy(), "alice", 0, &payload()).unwrap().unwrap();
        table.poll(&policy(), "alice", 0, &running).unwrap();
        assert_eq!(table.cancel("alice", &running).unwrap(), CancellationResult::UnableToCancel);
        assert_eq!(table.cancel("alice", &id).unwrap(), CancellationResult::Canceled);
        assert_eq!(table.cancel("alice", &id).unwrap(), CancellationResult::Unavailable);
        assert!(matches!(table.poll(&policy(), "alice", 0, &id), Err(OpError::UnknownCorrelationValue)));
    }
}
