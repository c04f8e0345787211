//! What the cryptographic operations share: the key material of managed objects in every KMIP
//! format ([`material`]), the Cryptographic Parameters an operation uses ([`parameters`]) and
//! the algorithms they name ([`mapping`]), the key of an operation ([`key_use`]), multi-part
//! operations ([`multipart`]), authenticated encryption ([`aead`]), and the mapping of
//! cryptographic failures to operation errors ([`failure`], [`validity`]).

pub mod aead;
pub mod certificate_attributes;
pub mod conversion;
pub mod delivery;
pub mod derivation;
pub mod issuing;
pub mod issuing_ca;
pub mod key_use;
pub mod keypair;
pub mod mapping;
pub mod material;
pub mod multipart;
pub mod parameters;
pub mod pkcs12;
pub mod splitting;
pub mod wrapping;

use keyward_crypto::CryptoError;
use keyward_kmip::enums::ValidityIndicator;

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

/// The Validity Indicator of a verification (Signature Verify, MAC Verify): a signature or MAC
/// that does not verify is an answer, Invalid, not a failed operation; any other failure stands.
pub fn validity(outcome: keyward_crypto::CryptoResult<()>) -> crate::error::OpResult<ValidityIndicator> {
    match outcome {
        Ok(()) => Ok(ValidityIndicator::Valid),
        Err(CryptoError::VerificationFailed) => Ok(ValidityIndicator::Invalid),
        Err(other) => Err(failure(other)),
    }
}
