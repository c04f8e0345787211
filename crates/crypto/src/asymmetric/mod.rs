//! Asymmetric keys and operations.
//!
//! - Keys: [`generate_key_pair`] (RSA 2048–8192 with e = 65537, ECDSA on P-256, P-384, P-521
//!   and secp256k1, Ed25519, X25519) gives a PKCS#8 private key and an X.509
//!   SubjectPublicKeyInfo public key. [`PrivateKey::from_pkcs8`] and [`PublicKey::from_spki`]
//!   parse them for use; [`crate::formats`] converts other formats to these two.
//! - Signatures, selected by [`SignatureScheme`]: [`sign`] / [`verify`] over a whole message,
//!   [`sign_digest`] / [`verify_digest`] over a pre-computed digest (KMIP "Digested Data"), and
//!   [`SignatureStream`] for data given in parts. ECDSA signatures are DER (`ECDSA-Sig-Value`),
//!   the encoding X.509, PKCS#11's CKM_ECDSA_DER-using clients, JCE and PyKMIP (via the Python
//!   `cryptography` package) produce and expect; RSA signatures are the modulus length; Ed25519
//!   signatures are 64 bytes (pure Ed25519, RFC 8032).
//! - RSA encryption: [`rsa_encrypt`] / [`rsa_decrypt`] with OAEP (label hash and MGF1 hash chosen
//!   separately, optional label) or PKCS#1 v1.5.
//!
//! aws-lc-rs performs everything it supports: RSA keys of 2048 to 8192 bits with SHA-256/384/512
//! (PKCS#1 v1.5 and PSS, with a salt length up to 64 bytes), OAEP with the same hash for the label
//! and MGF1, PKCS#1 v1.5 encryption, ECDSA and Ed25519. The RustCrypto `rsa` crate covers the
//! rest: RSA keys under 2048 bits, PKCS#1 v1.5 and PSS signatures with SHA-1 (signing) or SHA-224,
//! and OAEP whose MGF1 hash differs from its label hash (common with Java clients:
//! `OAEPWithSHA-256AndMGF1Padding` uses MGF1 with SHA-1). That crate's private-key operations
//! are blinded but not constant-time (RUSTSEC-2023-0071), so only these legacy combinations take
//! that path.

mod ecdsa;
mod encrypt;
mod keys;
mod legacy_rsa;
mod rsa_sig;
mod sign;
mod stream;

pub use encrypt::{RsaEncryptionPadding, rsa_decrypt, rsa_encrypt};
pub use keys::{KeyPair, KeyPairSpec, PrivateKey, PublicKey, generate_key_pair};
pub use sign::{sign, sign_digest, verify, verify_digest};
pub use stream::SignatureStream;

use crate::hash::HashAlgorithm;

/// An elliptic curve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Curve {
    /// NIST P-256 (secp256r1, prime256v1).
    P256,
    /// NIST P-384 (secp384r1).
    P384,
    /// NIST P-521 (secp521r1).
    P521,
    /// secp256k1 (SEC 2), used by some KMIP test cases.
    Secp256k1,
}

impl Curve {
    /// The size of the curve's field, and so the key size KMIP reports, in bits.
    pub fn bits(self) -> u32 {
        match self {
            Curve::P256 | Curve::Secp256k1 => 256,
            Curve::P384 => 384,
            Curve::P521 => 521,
        }
    }

    /// The length of a private scalar in bytes.
    pub fn scalar_len(self) -> usize {
        (self.bits() as usize).div_ceil(8)
    }
}

/// The algorithm of an asymmetric key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyAlgorithm {
    Rsa,
    /// An elliptic-curve key (for ECDSA or ECDH) on the given curve.
    Ec(Curve),
    Ed25519,
    X25519,
}

/// A signature scheme. The hash is the one applied to the message (or, for the digest
/// functions, the one that produced the digest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureScheme {
    /// RSASSA-PKCS1-v1_5 (RFC 8017 §8.2) with SHA-1, SHA-224, SHA-256, SHA-384 or SHA-512.
    RsaPkcs1v15(HashAlgorithm),
    /// RSASSA-PSS (RFC 8017 §8.1) with MGF1 over the same hash. `salt_len` `None` means the hash
    /// length (the usual choice and the only FIPS-approved one with aws-lc).
    RsaPss { hash: HashAlgorithm, salt_len: Option<usize> },
    /// ECDSA (FIPS 186-5) with the given hash, on any supported curve; DER signatures.
    Ecdsa(HashAlgorithm),
    /// Pure Ed25519 (RFC 8032); no separate hash.
    Ed25519,
}

#[cfg(test)]
mod tests;
