//! What the cryptographic operations share: the key material of managed objects in every KMIP
//! format ([`material`]), the Cryptographic Parameters an operation uses ([`parameters`]), and
//! the mapping of cryptographic failures to operation errors ([`failure`]).

pub mod material;
pub mod parameters;

use keyward_crypto::CryptoError;

use crate::error::OpError;

/// The operation error for a cryptographic failure.
pub fn failure(error: CryptoError) -> OpError {
    match error {
        CryptoError::Unsupported(what) => OpError::UnsupportedParameters(what),
        CryptoError::KeyFormatNotSupported(what) => OpError::KeyFormatTypeNotSupported(what),
        CryptoError::InvalidKey(what) => OpError::InvalidField(format!("invalid key: {what}")),
        CryptoError::InvalidInput(what) => OpError::InvalidField(what),
        CryptoError::MissingIv => OpError::MissingIv,
        CryptoError::VerificationFailed => OpError::CryptographicFailure("verification failed".into()),
        CryptoError::Rng | CryptoError::Failed(_) => OpError::CryptographicFailure(error.to_string()),
    }
}
