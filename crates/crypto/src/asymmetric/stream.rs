//! Signing and verifying data that arrives in parts (KMIP Sign / Signature Verify with Init and
//! Final Indicators).
//!
//! RSA and ECDSA hash each part as it comes and sign or verify the digest at the end, so the
//! state is one hash context however long the data. Pure Ed25519 needs the whole message (it
//! hashes it twice), so its parts are buffered, up to [`crate::symmetric::MAX_BUFFERED_LEN`].

use super::sign::scheme_hash;
use super::{PrivateKey, PublicKey, SignatureScheme, sign, verify};
use crate::hash::Hasher;
use crate::symmetric::MAX_BUFFERED_LEN;
use crate::{CryptoError, CryptoResult};

/// A signature over data given in parts; `Send`, so the server can keep it between requests.
/// The key is given at the end, so the server need not hold it in the state.
pub struct SignatureStream {
    scheme: SignatureScheme,
    acc: Accumulator,
}

enum Accumulator {
    Hash(Box<Hasher>),
    Buffer(Vec<u8>),
}

impl SignatureStream {
    pub fn new(scheme: SignatureScheme) -> Self {
        let acc = match scheme_hash(scheme) {
            Some(h) => Accumulator::Hash(Box::new(Hasher::new(h))),
            None => Accumulator::Buffer(Vec::new()),
        };
        SignatureStream { scheme, acc }
    }

    pub fn scheme(&self) -> SignatureScheme {
        self.scheme
    }

    /// The bytes of data held until the end (pure Ed25519 only).
    pub fn buffered(&self) -> usize {
        match &self.acc {
            Accumulator::Hash(_) => 0,
            Accumulator::Buffer(buffer) => buffer.len(),
        }
    }

    /// Feeds the next part of the data.
    pub fn update(&mut self, data: &[u8]) -> CryptoResult<()> {
        match &mut self.acc {
            Accumulator::Hash(h) => h.update(data),
            Accumulator::Buffer(b) => {
                if b.len() + data.len() > MAX_BUFFERED_LEN {
                    return Err(CryptoError::input(format!(
                        "a multi-part Ed25519 message is limited to {MAX_BUFFERED_LEN} bytes"
                    )));
                }
                b.extend_from_slice(data);
            }
        }
        Ok(())
    }

    /// Signs everything fed.
    pub fn sign(self, key: &PrivateKey) -> CryptoResult<Vec<u8>> {
        match self.acc {
            Accumulator::Hash(h) => super::sign_digest(key, self.scheme, &h.finish()),
            Accumulator::Buffer(b) => sign(key, self.scheme, &b),
        }
    }

    /// Verifies `signature` over everything fed.
    pub fn verify(self, key: &PublicKey, signature: &[u8]) -> CryptoResult<()> {
        match self.acc {
            Accumulator::Hash(h) => super::verify_digest(key, self.scheme, &h.finish(), signature),
            Accumulator::Buffer(b) => verify(key, self.scheme, &b, signature),
        }
    }
}
