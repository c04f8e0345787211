//! # keyward-crypto
//!
//! Key generation and cryptographic operations for Keyward. Everything comes from aws-lc-rs
//! (FIPS-validated, constant-time private-key operations) or, where aws-lc-rs lacks a primitive,
//! from the RustCrypto crates; nothing is hand-rolled except the finite-field arithmetic of
//! [`secret_sharing`], which no such library offers. Secret outputs (plaintexts, derived keys,
//! private keys) are returned in [`zeroize::Zeroizing`] buffers.
//!
//! The API knows nothing of KMIP: algorithms and modes are plain enums, inputs are byte slices.
//! The dispatcher maps KMIP's Cryptographic Parameters onto these enums and [`CryptoError`]
//! variants onto Result Reasons.
//!
//! | module | what it offers |
//! | --- | --- |
//! | [`symmetric`] | [`symmetric::encrypt`]/[`symmetric::decrypt`] for AES (GCM, CBC, ECB, CTR, XTS), Triple DES (CBC, ECB), ChaCha20 and ChaCha20-Poly1305, selected by [`symmetric::Cipher`]; [`symmetric::CipherStream`] for multi-part operations; [`symmetric::generate_iv`]; AES key wrap ([`symmetric::wrap_key`], RFC 3394 and RFC 5649). |
//! | [`mac`] | HMAC (SHA-1, SHA-2, SHA-3) and AES-CMAC: [`mac::mac`], [`mac::verify_mac`] (constant time), [`mac::MacState`] for streaming. |
//! | [`hash`] | SHA-1, SHA-2 (including SHA-512/224 and /256), SHA-3: [`hash::hash`], [`hash::Hasher`]. |
//! | [`audit`] | The HMAC key of the audit trail's checkpoints, derived from the store's KEK. |
//! | [`kdf`] | PBKDF2, HKDF, NIST SP 800-108 counter mode with HMAC, and hashing as a derivation. |
//! | [`random`] | Random bytes and keys from aws-lc's DRBG; seeding (accepted and ignored). |
//! | [`asymmetric`] | Key pairs (RSA, ECDSA on P-256/P-384/P-521/secp256k1, Ed25519, X25519), sign and verify (whole message, pre-computed digest, streaming), RSA encryption (OAEP, PKCS#1 v1.5). |
//! | [`formats`] | Conversions between key formats (PKCS#1, PKCS#8, SEC1, SubjectPublicKeyInfo, raw and transparent components) and introspection of a key's algorithm, size and curve. |
//! | [`secret_sharing`] | Shamir's threshold sharing for KMIP's Polynomial Sharing split key methods: GF(2^8), GF(2^16) and a prime field ([`secret_sharing::split`], [`secret_sharing::join`]). |
//! | [`certificates`] | X.509 parsing and description, issuing certificates from a public key or a PKCS#10 request, chain validation. |
//!
//! Errors are [`CryptoError`]: `Unsupported` (the algorithm, mode or parameter combination is not
//! offered), `KeyFormatNotSupported`, `InvalidKey`, `InvalidInput` (bad lengths, malformed data),
//! `MissingIv`, `VerificationFailed` (tag, MAC, signature, padding or unwrap integrity check) and
//! `Failed` (the library failed for another reason), plus `Rng`.

pub mod asymmetric;
pub mod audit;
pub mod certificates;
pub mod formats;
pub mod hash;
pub mod kdf;
pub mod mac;
pub mod passphrase_envelope;
pub mod random;
pub mod secret_sharing;
pub mod symmetric;

pub use hash::sha256;
pub use random::{random_bytes, random_key};

/// A cryptographic failure. The variants are kept apart because the server answers each with a
/// different KMIP Result Reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The system random number generator failed.
    #[error("the system random number generator failed")]
    Rng,
    /// The algorithm, mode, curve, key size or parameter combination is not offered.
    #[error("not supported: {0}")]
    Unsupported(String),
    /// A key cannot be converted to or from the requested format.
    #[error("key format not supported: {0}")]
    KeyFormatNotSupported(String),
    /// Key material is malformed, of the wrong length or inconsistent.
    #[error("invalid key: {0}")]
    InvalidKey(String),
    /// An input other than the key is malformed or of the wrong length.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The mode needs an initialization vector, nonce or tweak and none was given.
    #[error("the operation needs an initialization vector and none was given")]
    MissingIv,
    /// Data failed an integrity check: an authentication tag, a MAC, a signature, the padding of a
    /// decrypted message or the integrity check of an unwrapped key. Deliberately says no more.
    #[error("verification failed")]
    VerificationFailed,
    /// The underlying library failed for some other reason.
    #[error("cryptographic failure: {0}")]
    Failed(String),
}

/// The result of every fallible function of this crate.
pub type CryptoResult<T> = Result<T, CryptoError>;

impl CryptoError {
    pub(crate) fn unsupported(what: impl Into<String>) -> Self {
        CryptoError::Unsupported(what.into())
    }
    pub(crate) fn input(what: impl Into<String>) -> Self {
        CryptoError::InvalidInput(what.into())
    }
    pub(crate) fn key(what: impl Into<String>) -> Self {
        CryptoError::InvalidKey(what.into())
    }
    pub(crate) fn failed(what: impl Into<String>) -> Self {
        CryptoError::Failed(what.into())
    }
    pub(crate) fn format(what: impl Into<String>) -> Self {
        CryptoError::KeyFormatNotSupported(what.into())
    }
}

#[cfg(test)]
pub(crate) mod test_util {
    /// Hex to bytes for the known-answer tests; whitespace is ignored so vectors can be wrapped.
    pub fn h(s: &str) -> Vec<u8> {
        let clean: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        hex::decode(clean).expect("test vector hex")
    }
}
