//! ECDSA on aws-lc-rs with any hash on any curve.
//!
//! aws-lc-rs binds each ECDSA key to one hash. A message hashed with that hash is signed directly.
//! For any other hash, the digest is computed here and signed with `sign_digest` after the
//! conversion ECDSA itself applies to a digest (FIPS 186-5 §6.4.1, "the leftmost min(N, hashlen)
//! bits" taken as an integer): a digest longer than the curve's own hash output is cut to its
//! leftmost bytes, one shorter is left-padded with zero bytes, which leaves its integer value
//! unchanged. The curves whose order is a whole number of bytes (P-256, P-384, secp256k1) are the
//! only ones where cutting can happen, so working in bytes is exact; P-521's own hash (SHA-512)
//! is never shorter than another digest. The tests verify such signatures with aws-lc's verifier
//! for the mixed curve and hash, which hashes the message itself.

use aws_lc_rs::digest::{self, Digest};
use aws_lc_rs::signature as sig;
use aws_lc_rs::signature::EcdsaVerificationAlgorithm;
use aws_lc_rs::signature::{EcdsaKeyPair, ParsedPublicKey, UnparsedPublicKey};

use super::Curve;
use crate::hash::{HashAlgorithm, hash};
use crate::{CryptoError, CryptoResult};

/// The hash an aws-lc key on `curve` is bound to (see formats::ec::signing_alg).
fn own_hash(curve: Curve) -> HashAlgorithm {
    match curve {
        Curve::P256 | Curve::Secp256k1 => HashAlgorithm::Sha256,
        Curve::P384 => HashAlgorithm::Sha384,
        Curve::P521 => HashAlgorithm::Sha512,
    }
}

/// A digest of any hash, turned into the integer-equivalent digest of the curve's own hash.
fn adjusted(curve: Curve, digest_bytes: &[u8]) -> CryptoResult<Digest> {
    let own = own_hash(curve);
    let len = own.output_len();
    let mut buf = vec![0u8; len];
    if digest_bytes.len() >= len {
        buf.copy_from_slice(&digest_bytes[..len]);
    } else {
        buf[len - digest_bytes.len()..].copy_from_slice(digest_bytes);
    }
    let alg: &'static digest::Algorithm = own.aws().ok_or_else(|| CryptoError::failed("ECDSA hash"))?;
    Digest::import_less_safe(&buf, alg).map_err(|_| CryptoError::failed("ECDSA digest"))
}

fn check_digest_len(hash_alg: HashAlgorithm, digest_bytes: &[u8]) -> CryptoResult<()> {
    if digest_bytes.len() != hash_alg.output_len() {
        return Err(CryptoError::input(format!(
            "a {hash_alg:?} digest is {} bytes, not {}",
            hash_alg.output_len(),
            digest_bytes.len()
        )));
    }
    Ok(())
}

fn failed(_: aws_lc_rs::error::Unspecified) -> CryptoError {
    CryptoError::failed("ECDSA signing")
}

/// Signs `message` hashed with `hash_alg`; DER signature.
pub(super) fn sign(
    pair: &EcdsaKeyPair,
    curve: Curve,
    hash_alg: HashAlgorithm,
    message: &[u8],
) -> CryptoResult<Vec<u8>> {
    if hash_alg == own_hash(curve) {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        return Ok(pair.sign(&rng, message).map_err(failed)?.as_ref().to_vec());
    }
    sign_digest(pair, curve, hash_alg, &hash(hash_alg, message))
}

/// Signs a digest made with `hash_alg`.
pub(super) fn sign_digest(
    pair: &EcdsaKeyPair,
    curve: Curve,
    hash_alg: HashAlgorithm,
    digest_bytes: &[u8],
) -> CryptoResult<Vec<u8>> {
    check_digest_len(hash_alg, digest_bytes)?;
    Ok(pair.sign_digest(&adjusted(curve, digest_bytes)?).map_err(failed)?.as_ref().to_vec())
}

/// aws-lc's verifier for this exact curve and hash, where it has one.
pub(super) fn native_verifier(curve: Curve, hash_alg: HashAlgorithm) -> Option<&'static EcdsaVerificationAlgorithm> {
    use HashAlgorithm::*;
    Some(match (curve, hash_alg) {
        (Curve::P256, Sha256) => &sig::ECDSA_P256_SHA256_ASN1,
        (Curve::P256, Sha384) => &sig::ECDSA_P256_SHA384_ASN1,
        (Curve::P256, Sha512) => &sig::ECDSA_P256_SHA512_ASN1,
        (Curve::P384, Sha256) => &sig::ECDSA_P384_SHA256_ASN1,
        (Curve::P384, Sha384) => &sig::ECDSA_P384_SHA384_ASN1,
        (Curve::P384, Sha512) => &sig::ECDSA_P384_SHA512_ASN1,
        (Curve::P384, Sha3_384) => &sig::ECDSA_P384_SHA3_384_ASN1,
        (Curve::P521, Sha1) => &sig::ECDSA_P521_SHA1_ASN1,
        (Curve::P521, Sha224) => &sig::ECDSA_P521_SHA224_ASN1,
        (Curve::P521, Sha256) => &sig::ECDSA_P521_SHA256_ASN1,
        (Curve::P521, Sha384) => &sig::ECDSA_P521_SHA384_ASN1,
        (Curve::P521, Sha512) => &sig::ECDSA_P521_SHA512_ASN1,
        (Curve::P521, Sha3_512) => &sig::ECDSA_P521_SHA3_512_ASN1,
        (Curve::Secp256k1, Sha256) => &sig::ECDSA_P256K1_SHA256_ASN1,
        (Curve::Secp256k1, Sha3_256) => &sig::ECDSA_P256K1_SHA3_256_ASN1,
        _ => return None,
    })
}

/// Verifies a DER signature over `message` hashed with `hash_alg`; `spki` is the public key.
pub(super) fn verify(
    spki: &[u8],
    curve: Curve,
    hash_alg: HashAlgorithm,
    message: &[u8],
    signature: &[u8],
) -> CryptoResult<()> {
    match native_verifier(curve, hash_alg) {
        Some(alg) => {
            UnparsedPublicKey::new(alg, spki).verify(message, signature).map_err(|_| CryptoError::VerificationFailed)
        }
        None => verify_digest(spki, curve, hash_alg, &hash(hash_alg, message), signature),
    }
}

/// Verifies a DER signature over a digest made with `hash_alg`.
pub(super) fn verify_digest(
    spki: &[u8],
    curve: Curve,
    hash_alg: HashAlgorithm,
    digest_bytes: &[u8],
    signature: &[u8],
) -> CryptoResult<()> {
    check_digest_len(hash_alg, digest_bytes)?;
    let key = ParsedPublicKey::new(crate::formats::ec_verify_alg(curve), spki)
        .map_err(|e| CryptoError::key(format!("EC public key: {e}")))?;
    key.verify_digest_sig(&adjusted(curve, digest_bytes)?, signature).map_err(|_| CryptoError::VerificationFailed)
}
