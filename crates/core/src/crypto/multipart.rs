//! Multi-part cryptographic operations (KMIP 1.3 and later; 2.1 §6.1.17 Encrypt and its kin): a
//! request with Init Indicator true starts a stream and gets a Correlation Value back; the
//! following requests carry that value, the last one with Final Indicator true. Between requests
//! the operation's state waits in [`crate::streams`], under the client's identity: a Correlation
//! Value of another client, or of another kind of operation, is an invalid one.
//!
//! The fields of a part (1.4 §4.29 Encrypt and §4.30 Decrypt, Tables 229-232, and the multi-part
//! sequence in the introduction of 1.4 §4; 2.1 §6.1.17 and §6.1.11 alike):
//! - Without a Correlation Value, a request is the whole operation in one request unless it has
//!   Init Indicator true and no Final Indicator true (then it starts a stream); Init Indicator
//!   true with a Correlation Value is a contradiction (Invalid Field).
//! - Cryptographic Parameters and IV/Counter/Nonce belong to the first part. A later part may give
//!   them again ("Provide any other required parameters" on subsequent requests,
//!   in that sequence) as long as they are the stream's: a stream cannot change its mode or
//!   its IV midway, so different ones are Invalid Field ([`check_continuation`]).
//! - Authenticated Encryption Additional Data "MUST be supplied on the initial" request (1.4
//!   Tables 229 and 231): on a later part it is Invalid Field, not silently left out of the tag.
//! - Data is "Yes for single-part. No for multi-part" in requests and responses alike: a part may
//!   come without Data, and a part's response carries Data only when the part produced output
//!   ([`part_output`]); a part that produced none is answered with the Correlation Value alone
//!   (and the tag, for the last part of an authenticated encryption). A whole operation always
//!   answers Data.

use std::any::Any;

use keyward_kmip::attributes::CryptographicParameters;
use keyward_kmip::payloads::common::DataRef;
use keyward_kmip::{Bytes, UniqueIdentifierRef};
use zeroize::Zeroizing;

use crate::context::Context;
use crate::error::{OpError, OpResult};

/// Which part of an operation a request is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    /// The whole operation in one request.
    Whole,
    /// The first part of several: a stream starts.
    First,
    /// A part between the first and the last, of the stream with this Correlation Value.
    Middle(Vec<u8>),
    /// The last part of the stream with this Correlation Value.
    Last(Vec<u8>),
}

impl Part {
    /// Reads the Init Indicator, Final Indicator and Correlation Value of a request. Init and
    /// Final together are a whole operation; a Correlation Value with Init Indicator true is a
    /// contradiction.
    pub fn of(init: Option<bool>, last: Option<bool>, correlation: Option<&Bytes>) -> OpResult<Part> {
        let (init, last) = (init == Some(true), last == Some(true));
        Ok(match (correlation, init, last) {
            (Some(_), true, _) => {
                return Err(OpError::InvalidField("an Init Indicator with a Correlation Value".into()));
            }
            (Some(value), false, false) => Part::Middle(value.as_slice().to_vec()),
            (Some(value), false, true) => Part::Last(value.as_slice().to_vec()),
            (None, true, false) => Part::First,
            (None, _, _) => Part::Whole,
        })
    }

    /// True for a request that continues a stream.
    pub fn continues(&self) -> bool {
        matches!(self, Part::Middle(_) | Part::Last(_))
    }

    /// True for a request that ends the operation (so returns its final result).
    pub fn ends(&self) -> bool {
        matches!(self, Part::Whole | Part::Last(_))
    }

    /// The Correlation Value of a continuing request.
    pub fn correlation(&self) -> Option<&[u8]> {
        match self {
            Part::Middle(value) | Part::Last(value) => Some(value),
            Part::Whole | Part::First => None,
        }
    }
}

/// Takes the state of the stream a continuing request names. A value this client did not get, or
/// got for another operation, is an Invalid Correlation Value.
pub fn take<T: Any>(cx: &Context<'_>, part: &Part) -> OpResult<Box<T>> {
    let correlation = part.correlation().ok_or(OpError::InvalidCorrelationValue)?;
    cx.streams.take(&cx.client.name, correlation)?.downcast::<T>().map_err(|_| OpError::InvalidCorrelationValue)
}

/// Keeps the state of a stream until its next part: under a new Correlation Value for a first
/// part, under its own for a middle part. Returns the Correlation Value for the response.
pub fn keep<T: Any + Send>(cx: &Context<'_>, part: &Part, state: T) -> OpResult<Bytes> {
    keep_buffered(cx, part, state, 0)
}

/// [`keep`] for a state holding `buffered` bytes of the data given so far, which count against
/// the client's share (see [`crate::streams`]).
pub fn keep_buffered<T: Any + Send>(cx: &Context<'_>, part: &Part, state: T, buffered: usize) -> OpResult<Bytes> {
    let existing = part.correlation().map(<[u8]>::to_vec);
    let correlation = cx.streams.put(&cx.client.name, cx.now, Box::new(state), existing, buffered)?;
    Ok(Bytes::new(correlation))
}

/// The Data of a request: required for a whole operation, optional in a part.
pub fn data(cx: &Context<'_>, given: Option<&DataRef>, part: &Part) -> OpResult<Zeroizing<Vec<u8>>> {
    match given {
        Some(data) => cx.data_input(data),
        None if *part == Part::Whole => Err(OpError::MissingData("the Data".into())),
        None => Ok(Zeroizing::new(Vec::new())),
    }
}

/// What a stream fixed at its first part, which later parts may repeat but not change.
#[derive(Clone, Debug, Default)]
pub struct StreamSetup {
    /// The effective Cryptographic Parameters (the request's over the key's).
    pub parameters: CryptographicParameters,
    /// The IV/Counter/Nonce the stream runs with (the client's or the server's).
    pub iv: Vec<u8>,
}

/// Checks what a continuing part repeats of its stream's first part (see the module doc).
/// `parameters` are the part's effective parameters when it gave some.
pub fn check_continuation(
    setup: &StreamSetup,
    parameters: Option<&CryptographicParameters>,
    iv: Option<&Bytes>,
    additional_data: Option<&Bytes>,
) -> OpResult<()> {
    if parameters.is_some_and(|p| *p != setup.parameters) {
        return Err(OpError::InvalidField("a stream keeps the Cryptographic Parameters of its first part".into()));
    }
    if iv.is_some_and(|iv| iv.as_slice() != setup.iv.as_slice()) {
        return Err(OpError::InvalidField("a stream keeps the IV/Counter/Nonce of its first part".into()));
    }
    if additional_data.is_some() {
        return Err(OpError::InvalidField(
            "Authenticated Encryption Additional Data is given with the first part of a stream".into(),
        ));
    }
    Ok(())
}

/// The Data of a response: always for a whole operation, only when there is some for a part.
pub fn part_output(part: &Part, data: Option<Bytes>) -> Option<Bytes> {
    match part {
        Part::Whole => data,
        _ => data.filter(|d| !d.as_slice().is_empty()),
    }
}

/// The key of a continuing part: the stream's. A request that names a key must name that one;
/// one that names none continues with it (rather than with the ID Placeholder, which a later
/// batch does not have).
pub fn stream_key(
    cx: &Context<'_>,
    named: Option<&UniqueIdentifierRef>,
    stream_key: &str,
) -> OpResult<UniqueIdentifierRef> {
    if let Some(named) = named {
        let uid = cx.resolve(Some(named))?;
        if uid != stream_key {
            return Err(OpError::InvalidField(format!("this stream runs with key {stream_key}, not {uid}")));
        }
    }
    Ok(UniqueIdentifierRef::Text(stream_key.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_read_from_the_indicators() {
        let value = Bytes::new(vec![1, 2]);
        assert_eq!(Part::of(None, None, None).unwrap(), Part::Whole);
        assert_eq!(Part::of(Some(true), Some(true), None).unwrap(), Part::Whole);
        assert_eq!(Part::of(Some(true), None, None).unwrap(), Part::First);
        assert_eq!(Part::of(None, None, Some(&value)).unwrap(), Part::Middle(vec![1, 2]));
        assert_eq!(Part::of(Some(false), Some(true), Some(&value)).unwrap(), Part::Last(vec![1, 2]));
        assert!(Part::of(Some(true), None, Some(&value)).is_err());
    }
}
