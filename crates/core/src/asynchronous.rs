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
//! The core does no I/O and has no threads, so a deferred operation is completed lazily: it is
//! kept here as its request payload and runs when its client Polls, inside the Poll's batch
//! (whose commit makes its changes durable), and the Poll answers "the response that would have
//! been sent if the operation had completed synchronously" (1.4 §4.28). A Poll while another Poll
//! of the same operation is running gets Operation Pending again. The server's transports run a
//! Poll off their I/O threads (`dispatch::cost`), as they would the operation itself.
//!
//! Memory is bounded: a client may have [`AsynchronousPolicy::max_pending_per_client`] operations
//! pending, all clients together [`MAX_PENDING`]; past that, items are answered synchronously,
//! which the client accepted as possible. A pending operation is forgotten
//! [`AsynchronousPolicy::lifetime`] seconds after it was deferred. An operation is visible only to
//! the client that asked: another client's Poll or Cancel gets the answer of a correlation value
//! that never existed.

use std::collections::HashMap;
use std::sync::Mutex;

use keyward_kmip::enums::{CancellationResult, Operation};
use keyward_kmip::payloads::RequestPayload;

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

struct Entry {
    owner: String,
    deferred_at: i64,
    payload: Box<RequestPayload>,
    /// A Poll is running it now.
    running: bool,
}

/// What a Poll finds.
pub(crate) enum Polled {
    /// The operation to run now; the Poll holds it until [`Asynchronous::finish`].
    Run(Box<RequestPayload>),
    /// Another Poll is running it.
    Running,
}

/// The operations pending, shared by all requests.
#[derive(Default)]
pub struct Asynchronous {
    entries: Mutex<HashMap<Vec<u8>, Entry>>,
}

fn poisoned() -> OpError {
    OpError::GeneralFailure("table of asynchronous operations poisoned".into())
}

impl Asynchronous {
    /// Keeps `payload` for a later Poll and returns its Asynchronous Correlation Value, or `None`
    /// when the client or the server has as many operations pending as it may: the item is then
    /// answered synchronously.
    pub(crate) fn defer(
        &self,
        policy: &AsynchronousPolicy,
        owner: &str,
        now: i64,
        payload: &RequestPayload,
    ) -> OpResult<Option<Vec<u8>>> {
        let mut entries = self.entries.lock().map_err(|_| poisoned())?;
        entries.retain(|_, e| e.running || now - e.deferred_at <= policy.lifetime);
        let owned = entries.values().filter(|e| e.owner == owner).count();
        if entries.len() >= MAX_PENDING || owned >= policy.max_pending_per_client {
            return Ok(None);
        }
        let correlation = keyward_crypto::random_bytes(16).map_err(|e| OpError::CryptographicFailure(e.to_string()))?;
        let entry =
            Entry { owner: owner.to_string(), deferred_at: now, payload: Box::new(payload.clone()), running: false };
        entries.insert(correlation.clone(), entry);
        Ok(Some(correlation))
    }

    /// The operation a Poll of `owner` names: to run now, or running already. An unknown value,
    /// an expired operation and another client's are all [`OpError::UnknownCorrelationValue`].
    pub(crate) fn poll(
        &self,
        policy: &AsynchronousPolicy,
        owner: &str,
        now: i64,
        correlation: &[u8],
    ) -> OpResult<Polled> {
        let mut entries = self.entries.lock().map_err(|_| poisoned())?;
        match entries.get_mut(correlation) {
            Some(entry) if entry.owner == owner && entry.running => Ok(Polled::Running),
            Some(entry) if entry.owner == owner && now - entry.deferred_at <= policy.lifetime => {
                entry.running = true;
                Ok(Polled::Run(entry.payload.clone()))
            }
            _ => Err(OpError::UnknownCorrelationValue),
        }
    }

    /// Ends what a Poll started: the operation is forgotten once the Poll's batch was answered
    /// with its result (`done`), and is pending again when that batch was not committed.
    pub(crate) fn finish(&self, correlation: &[u8], done: bool) {
        let Ok(mut entries) = self.entries.lock() else { return };
        if done {
            entries.remove(correlation);
        } else if let Some(entry) = entries.get_mut(correlation) {
            entry.running = false;
        }
    }

    /// Cancel (1.4 §4.27): a pending operation not yet running is Canceled; one a Poll is running
    /// is Unable to Cancel; any other value, another client's included, is Unavailable ("did not
    /// match any recently pending or completed asynchronous operations"). Completed operations are
    /// not kept once polled, so Completed and Failed are never answered.
    pub(crate) fn cancel(&self, owner: &str, correlation: &[u8]) -> OpResult<CancellationResult> {
        let mut entries = self.entries.lock().map_err(|_| poisoned())?;
        Ok(match entries.get(correlation) {
            Some(entry) if entry.owner == owner && entry.running => CancellationResult::UnableToCancel,
            Some(entry) if entry.owner == owner => {
                entries.remove(correlation);
                CancellationResult::Canceled
            }
            _ => CancellationResult::Unavailable,
        })
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
        assert!(matches!(table.poll(&policy(), "alice", 0, &id), Ok(Polled::Running)));
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
