//! Multi-part operations (KMIP 1.3 and later: Init Indicator, Final Indicator, Correlation Value):
//! the state of an operation between its requests, kept in memory under a random Correlation
//! Value. A state is taken out while a request works on it and put back if the operation is not
//! finished, so two requests cannot work on one stream at once.
//!
//! Memory is bounded: at most [`MAX_STREAMS`] streams, each forgotten [`STREAM_LIFETIME`] seconds
//! after its last part. The states hold cipher and MAC contexts whose keys are zeroized on drop.

use std::any::Any;
use std::collections::HashMap;
use std::sync::Mutex;

use crate::error::{OpError, OpResult};

/// The most streams in progress at once, for all clients together.
pub const MAX_STREAMS: usize = 4096;
/// How long a stream may wait for its next part, in seconds.
pub const STREAM_LIFETIME: i64 = 600;

struct Entry {
    owner: String,
    last_used: i64,
    state: Box<dyn Any + Send>,
}

/// The streams in progress.
#[derive(Default)]
pub struct Streams {
    entries: Mutex<HashMap<Vec<u8>, Entry>>,
}

impl Streams {
    /// Keeps a state for the next part of a stream; returns its Correlation Value.
    pub fn put(
        &self,
        owner: &str,
        now: i64,
        state: Box<dyn Any + Send>,
        correlation: Option<Vec<u8>>,
    ) -> OpResult<Vec<u8>> {
        let mut entries = self.entries.lock().map_err(|_| OpError::GeneralFailure("stream table poisoned".into()))?;
        entries.retain(|_, e| now - e.last_used <= STREAM_LIFETIME);
        if entries.len() >= MAX_STREAMS {
            return Err(OpError::GeneralFailure("too many multi-part operations in progress".into()));
        }
        let correlation = match correlation {
            Some(value) => value,
            None => keyward_crypto::random_bytes(16).map_err(|e| OpError::CryptographicFailure(e.to_string()))?,
        };
        entries.insert(correlation.clone(), Entry { owner: owner.to_string(), last_used: now, state });
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
    use super::*;

    #[test]
    fn a_stream_is_taken_by_its_owner_once() {
        let streams = Streams::default();
        let id = streams.put("alice", 0, Box::new(41u32), None).unwrap();
        assert!(streams.take("bob", &id).is_err());
        let state = streams.take("alice", &id).unwrap();
        assert_eq!(state.downcast_ref::<u32>(), Some(&41));
        assert!(streams.take("alice", &id).is_err());
    }

    #[test]
    fn old_streams_are_forgotten() {
        let streams = Streams::default();
        let id = streams.put("alice", 0, Box::new(1u8), None).unwrap();
        streams.put("alice", STREAM_LIFETIME + 1, Box::new(2u8), None).unwrap();
        assert!(streams.take("alice", &id).is_err());
    }
}
