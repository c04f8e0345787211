//! # keyward-crypto
//!
//! Key generation and cryptographic operations. Everything comes from aws-lc-rs (FIPS-validated,
//! constant-time private-key operations) or the RustCrypto crates; nothing is hand-rolled. Secret
//! outputs are returned in zeroizing buffers.

mod digest;
mod random;

pub use digest::sha256;
pub use random::{random_bytes, random_key};

/// A cryptographic failure.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("the system random number generator failed")]
    Rng,
    #[error("{0}")]
    Unsupported(String),
    #[error("{0}")]
    Failed(String),
}

pub type CryptoResult<T> = Result<T, CryptoError>;
