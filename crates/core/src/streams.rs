//! Multi-part operations (KMIP 1.3 and later: Init Indicator, Final Indicator, Correlation Value):
//! the state of an operation between its requests, kept in memory under a random Correlation
//! Value. A state is taken out while a request works on it and put back if the operation is not
//! finished, so two requests cannot work on one stream at once.
//!
//! Memory is bounded: at most [`MAX_STREAMS`] streams, each forgotten [`STREAM_LIFETIME`] seconds
//! after its last part. The states hold cipher and MAC contexts whose keys are zeroized on drop.
//!
//! Some states also hold the data given so far (authenticated encryption and pure Ed25519 need it
//! whole at the end), up to 64 MiB a stream. So that one client can neither take every stream nor
//! make the server hold gigabytes, each client may have [`MAX_STREAMS_PER_CLIENT`] streams and
//! [`MAX_BUFFERED_PER_CLIENT`] bytes held in them, and all clients together
//! [`MAX_BUFFERED_TOTAL`]. A part that would go beyond fails with Server Limit Exceeded (General
//! Failure in 1.x; see `OpError::StreamLimit`), and its stream ends: the client starts again.

use std::any::Any;
use std::collections::HashMap;
use std::sync::Mutex;

use crate::error::{OpError, OpResult};

/// The most streams in progress at once, for all clients together.
pub const MAX_STREAMS: usize = 4096;
/// The most streams one client may have in progress: more than a client working on many objects
/// at once needs, a small share of [`MAX_STREAMS`].
pub const MAX_STREAMS_PER_CLIENT: usize = 64;
/// The most data one client's streams may hold between parts: two streams of the largest size.
pub const MAX_BUFFERED_PER_CLIENT: usize = 128 << 20;
/// The most data all streams together may hold between parts.
pub const MAX_BUFFERED_TOTAL: usize = 1 << 30;
/// How long a stream may wait for its next part, in seconds.
pub const STREAM_LIFETIME: i64 = 600;

struct Entry {
    owner: String,
    last_used: i64,
    /// The data the state holds, in bytes.
    buffered: usize,
    state: Box<dyn Any + Send>,
}

/// The streams in progress.
#[derive(Default)]
pub struct Streams {
    entries: Mutex<HashMap<Vec<u8>, Entry>>,
}

impl Streams {
    /// Keeps a state, holding `buffered` bytes of data, for the next part of a stream; returns its
    /// Correlation Value.
    pub fn put(
        &self,
        owner: &str,
        now: i64,
        state: Box<dyn Any + Send>,
        correlation: Option<Vec<u8>>,
        buffered: usize,
    ) -> OpResult<Vec<u8>> {
        let mut entries = self.entries.lock().map_err(|_| OpError::GeneralFailure("stream table poisoned".into()))?;
        entries.retain(|_, e| now - e.last_used <= STREAM_LIFETIME);
        if entries.len() >= MAX_STREAMS {
            return Err(OpError::GeneralFailure("too many multi-part operations in progress".into()));
        }
        // A continuing stream was taken out while its part ran, so it is not counted twice.
        let (mut owned, mut owned_bytes, mut all_bytes) = (0, buffered, buffered);
        for entry in entries.values() {
            all_bytes = all_bytes.saturating_add(entry.buffered);
            if entry.owner == owner {
                owned += 1;
                owned_bytes = owned_bytes.saturating_add(entry.buffered);
            }
        }
        if owned >= MAX_STREAMS_PER_CLIENT {
            let text = format!("a client may have {MAX_STREAMS_PER_CLIENT} multi-part operations in progress");
            return Err(OpError::StreamLimit(text));
        }
        if owned_bytes > MAX_BUFFERED_PER_CLIENT || all_bytes > MAX_BUFFERED_TOTAL {
            let text = format!("multi-part operations may hold {MAX_BUFFERED_PER_CLIENT} bytes a client");
            return Err(OpError::StreamLimit(text));
        }
        let correlation = match correlation {
            Some(value) => value,
            None => keyward_crypto::random_bytes(16).map_err(|e| OpError::CryptographicFailure(e.to_string()))?,
        };
        entries.insert(correlation.clone(), Entry { owner: owner.to_string(), last_used: now, buffered, state });
        Ok(correlation)
    }

    /// Takes the state of a stream, which must belong to `owner`.
    pub fn take(&self, owner: &str, correlation: &[u8]) -> OpResult<Box<dyn Any + Send>> {
        let unknown = || OpError::InvalidCorrelationValue;
        let mut entries = self.entries.lock().map_err(|_| OpError::GeneralFailure("stream table poisoned".into()))?;
        match entries.get(correlation) {
            Some(entry) if entry.owner == owner => entries.remove(correlation).map(|e| e.state).ok_or_else(unknown),
            _ => Err(unknown()),
        }
    }
}

#[cfg(test)]
mod tests {
    use keyward_kmip::enums::ResultReason;
    use keyward_ttlv::KmipVersion;

    use super::*;

    #[test]
    fn a_stream_is_taken_by_its_owner_once() {
        let streams = Streams::default();
        let id = streams.put("alice", 0, Box::new(41u32), None, 0).unwrap();
        assert!(streams.take("bob", &id).is_err());
        let state = streams.take("alice", &id).unwrap();
        assert_eq!(state.downcast_ref::<u32>(), Some(&41));
        assert!(streams.take("alice", &id).is_err());
    }

    #[test]
    fn old_streams_are_forgotten() {
        let streams = Streams::default();
        let id = streams.put("alice", 0, Box::new(1u8), None, 0).unwrap();
        streams.put("alice", STREAM_LIFETIME + 1, Box::new(2u8), None, 0).unwrap();
        assert!(streams.take("alice", &id).is_err());
    }

    #[test]
    fn a_client_has_a_share_of_streams_and_of_buffered_bytes() {
        let streams = Streams::default();
        for _ in 0..MAX_STREAMS_PER_CLIENT {
            streams.put("alice", 0, Box::new(()), None, 0).unwrap();
        }
        let refused = streams.put("alice", 0, Box::new(()), None, 0).unwrap_err();
        assert!(matches!(refused, OpError::StreamLimit(_)));
        assert_eq!(refused.result_reason(KmipVersion::V2_1), ResultReason::ServerLimitExceeded);
        assert_eq!(refused.result_reason(KmipVersion::V1_4), ResultReason::GeneralFailure);
        // Another client is not held up by the first.
        let big = streams.put("bob", 0, Box::new(()), None, MAX_BUFFERED_PER_CLIENT).unwrap();
        assert!(matches!(streams.put("bob", 0, Box::new(()), None, 1), Err(OpError::StreamLimit(_))));
        // A continuing stream is counted once: taken out, then put back larger is fine.
        streams.take("bob", &big).unwrap();
        streams.put("bob", 0, Box::new(()), Some(big), MAX_BUFFERED_PER_CLIENT).unwrap();
    }
}
