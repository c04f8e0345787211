//! Message authentication codes: HMAC over any [`HashAlgorithm`] and AES-CMAC (NIST SP 800-38B)
//! with 128-, 192- or 256-bit keys.
//!
//! HMAC with SHA-1 and SHA-2 (except SHA-512/224 and SHA-512/256) and CMAC come from aws-lc-rs;
//! HMAC over the remaining hashes from the RustCrypto `hmac` crate. Verification always compares
//! in constant time. A tag shorter than the full MAC is compared with the MAC's leading bytes
//! (truncated MACs, RFC 2104 §5, SP 800-38B §5.5); tags shorter than [`MIN_TAG_LEN`] are refused.

use aws_lc_rs::{cmac, constant_time, hmac as aws_hmac};
use hmac::{KeyInit, Mac};

use crate::hash::HashAlgorithm;
use crate::{CryptoError, CryptoResult};

/// The shortest tag [`verify_mac`] accepts: 32 bits, the floor SP 800-107 sets for truncated MACs.
pub const MIN_TAG_LEN: usize = 4;

/// A MAC algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MacAlgorithm {
    /// HMAC (RFC 2104, FIPS 198-1) over the given hash; any key length.
    Hmac(HashAlgorithm),
    /// CMAC with AES (NIST SP 800-38B); the key length (16, 24 or 32 bytes) picks AES-128/192/256.
    CmacAes,
}

impl MacAlgorithm {
    /// The full tag length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            MacAlgorithm::Hmac(h) => h.output_len(),
            MacAlgorithm::CmacAes => 16,
        }
    }
}

/// The MAC of `data` under `key`.
pub fn mac(algorithm: MacAlgorithm, key: &[u8], data: &[u8]) -> CryptoResult<Vec<u8>> {
    let mut state = MacState::new(algorithm, key)?;
    state.update(data)?;
    state.finish()
}

/// Checks `tag` (the full MAC, or its first bytes when truncated) against the MAC of `data`, in
/// constant time. A mismatch is [`CryptoError::VerificationFailed`].
pub fn verify_mac(algorithm: MacAlgorithm, key: &[u8], data: &[u8], tag: &[u8]) -> CryptoResult<()> {
    let mut state = MacState::new(algorithm, key)?;
    state.update(data)?;
    state.verify(tag)
}

/// A MAC computed over data given in parts; `Send`, so the server can keep it between the
/// requests of a multi-part MAC or MAC Verify.
pub struct MacState {
    algorithm: MacAlgorithm,
    inner: Inner,
}

// Boxed so that a state kept between requests is small whatever the algorithm.
enum Inner {
    Aws(Box<aws_hmac::Context>),
    Cmac(Box<cmac::Context>),
    Sha512_224(Box<hmac::Hmac<sha2::Sha512_224>>),
    Sha512_256(Box<hmac::Hmac<sha2::Sha512_256>>),
    Sha3_224(Box<hmac::SimpleHmac<sha3::Sha3_224>>),
    Sha3_256(Box<hmac::SimpleHmac<sha3::Sha3_256>>),
    Sha3_384(Box<hmac::SimpleHmac<sha3::Sha3_384>>),
    Sha3_512(Box<hmac::SimpleHmac<sha3::Sha3_512>>),
}

fn rust_hmac<M: KeyInit>(key: &[u8]) -> CryptoResult<Box<M>> {
    // HMAC takes keys of any length; an error here would be a bug in the crate.
    M::new_from_slice(key).map(Box::new).map_err(|_| CryptoError::key("HMAC key rejected"))
}

impl MacState {
    /// Starts a MAC under `key`. CMAC needs a 16-, 24- or 32-byte key.
    pub fn new(algorithm: MacAlgorithm, key: &[u8]) -> CryptoResult<Self> {
        let inner = match algorithm {
            MacAlgorithm::CmacAes => {
                let alg = match key.len() {
                    16 => cmac::AES_128,
                    24 => cmac::AES_192,
                    32 => cmac::AES_256,
                    n => return Err(CryptoError::key(format!("AES-CMAC needs a 16, 24 or 32-byte key, not {n}"))),
                };
                let key = cmac::Key::new(alg, key).map_err(|_| CryptoError::key("CMAC key rejected"))?;
                Inner::Cmac(Box::new(cmac::Context::with_key(&key)))
            }
            MacAlgorithm::Hmac(hash) => match hash {
                HashAlgorithm::Sha1 => aws(aws_hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, key),
                HashAlgorithm::Sha224 => aws(aws_hmac::HMAC_SHA224, key),
                HashAlgorithm::Sha256 => aws(aws_hmac::HMAC_SHA256, key),
                HashAlgorithm::Sha384 => aws(aws_hmac::HMAC_SHA384, key),
                HashAlgorithm::Sha512 => aws(aws_hmac::HMAC_SHA512, key),
                HashAlgorithm::Sha512_224 => Inner::Sha512_224(rust_hmac(key)?),
                HashAlgorithm::Sha512_256 => Inner::Sha512_256(rust_hmac(key)?),
                HashAlgorithm::Sha3_224 => Inner::Sha3_224(rust_hmac(key)?),
                HashAlgorithm::Sha3_256 => Inner::Sha3_256(rust_hmac(key)?),
                HashAlgorithm::Sha3_384 => Inner::Sha3_384(rust_hmac(key)?),
                HashAlgorithm::Sha3_512 => Inner::Sha3_512(rust_hmac(key)?),
            },
        };
        Ok(MacState { algorithm, inner })
    }

    /// The algorithm being computed.
    pub fn algorithm(&self) -> MacAlgorithm {
        self.algorithm
    }

    /// Feeds the next part of the data.
    pub fn update(&mut self, data: &[u8]) -> CryptoResult<()> {
        match &mut self.inner {
            Inner::Aws(ctx) => ctx.update(data),
            Inner::Cmac(ctx) => ctx.update(data).map_err(|_| CryptoError::failed("CMAC update"))?,
            Inner::Sha512_224(m) => m.update(data),
            Inner::Sha512_256(m) => m.update(data),
            Inner::Sha3_224(m) => m.update(data),
            Inner::Sha3_256(m) => m.update(data),
            Inner::Sha3_384(m) => m.update(data),
            Inner::Sha3_512(m) => m.update(data),
        }
        Ok(())
    }

    /// The full MAC of everything fed.
    pub fn finish(self) -> CryptoResult<Vec<u8>> {
        Ok(match self.inner {
            Inner::Aws(ctx) => (*ctx).sign().as_ref().to_vec(),
            Inner::Cmac(ctx) => (*ctx).sign().map_err(|_| CryptoError::failed("CMAC"))?.as_ref().to_vec(),
            Inner::Sha512_224(m) => m.finalize().into_bytes().to_vec(),
            Inner::Sha512_256(m) => m.finalize().into_bytes().to_vec(),
            Inner::Sha3_224(m) => m.finalize().into_bytes().to_vec(),
            Inner::Sha3_256(m) => m.finalize().into_bytes().to_vec(),
            Inner::Sha3_384(m) => m.finalize().into_bytes().to_vec(),
            Inner::Sha3_512(m) => m.finalize().into_bytes().to_vec(),
        })
    }

    /// Compares `tag` with the MAC of everything fed, in constant time; a tag shorter than the
    /// MAC is compared with its leading bytes.
    pub fn verify(self, tag: &[u8]) -> CryptoResult<()> {
        let full = self.algorithm.output_len();
        if tag.len() < MIN_TAG_LEN || tag.len() > full {
            return Err(CryptoError::input(format!("a MAC tag must be {MIN_TAG_LEN} to {full} bytes long")));
        }
        let computed = self.finish()?;
        constant_time::verify_slices_are_equal(&computed[..tag.len()], tag).map_err(|_| CryptoError::VerificationFailed)
    }
}

fn aws(alg: aws_hmac::Algorithm, key: &[u8]) -> Inner {
    Inner::Aws(Box::new(aws_hmac::Context::with_key(&aws_hmac::Key::new(alg, key))))
}

#[cfg(test)]
mod tests;
