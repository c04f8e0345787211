//! Ed25519 and X25519 key formats (RFC 8410): PKCS#8 and the raw 32-byte private key; the raw
//! 32-byte public key and SubjectPublicKeyInfo.
//!
//! aws-lc-rs handles Ed25519 both ways. It does not write X25519 PKCS#8, so that wrapping (an
//! OCTET STRING holding the 32 bytes, RFC 8410 §7) is built with the RustCrypto DER crates.

use aws_lc_rs::agreement;
use aws_lc_rs::encoding::{AsBigEndian, AsDer, Curve25519SeedBin, PublicKeyX509Der};
use aws_lc_rs::signature::{self as sig, Ed25519KeyPair, KeyPair as _};
use der::asn1::{BitStringRef, OctetStringRef};
use der::{Decode, Encode};
use pkcs8::PrivateKeyInfoRef;
use spki::{AlgorithmIdentifierRef, SubjectPublicKeyInfoRef};
use zeroize::Zeroizing;

use super::oids;
use crate::{CryptoError, CryptoResult};

fn rejected(e: aws_lc_rs::error::KeyRejected) -> CryptoError {
    CryptoError::key(format!("key rejected: {e}"))
}

fn unspecified(_: aws_lc_rs::error::Unspecified) -> CryptoError {
    CryptoError::failed("key encoding")
}

fn check_len(raw: &[u8]) -> CryptoResult<()> {
    if raw.len() != 32 {
        return Err(CryptoError::key(format!("a raw Curve25519 key is 32 bytes, not {}", raw.len())));
    }
    Ok(())
}

/// An aws-lc Ed25519 key pair from PKCS#8 v1 or v2.
pub(crate) fn ed25519_pair(pkcs8: &[u8]) -> CryptoResult<Ed25519KeyPair> {
    Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8).map_err(rejected)
}

pub(super) fn ed25519_pkcs8_to_raw(pkcs8: &[u8]) -> CryptoResult<Zeroizing<Vec<u8>>> {
    let seed: Curve25519SeedBin<'static> =
        ed25519_pair(pkcs8)?.seed().map_err(unspecified)?.as_be_bytes().map_err(unspecified)?;
    Ok(Zeroizing::new(seed.as_ref().to_vec()))
}

pub(super) fn ed25519_raw_to_pkcs8(seed: &[u8]) -> CryptoResult<Zeroizing<Vec<u8>>> {
    check_len(seed)?;
    let pair = Ed25519KeyPair::from_seed_unchecked(seed).map_err(rejected)?;
    Ok(Zeroizing::new(pair.to_pkcs8v1().map_err(unspecified)?.as_ref().to_vec()))
}

pub(super) fn ed25519_raw_to_spki(raw: &[u8]) -> CryptoResult<Vec<u8>> {
    check_len(raw)?;
    let parsed = sig::ParsedPublicKey::new(&sig::ED25519, raw).map_err(rejected)?;
    let der: PublicKeyX509Der<'static> = parsed.as_der().map_err(unspecified)?;
    Ok(der.as_ref().to_vec())
}

/// The raw public key of an Ed25519 or X25519 SubjectPublicKeyInfo.
pub(super) fn spki_to_raw(spki: &[u8]) -> CryptoResult<Vec<u8>> {
    let info = oids::parse_spki(spki)?;
    let raw = info.subject_public_key.as_bytes().ok_or_else(|| CryptoError::key("a partial-byte public key"))?;
    check_len(raw)?;
    Ok(raw.to_vec())
}

pub(crate) fn ed25519_public_of_private(pkcs8: &[u8]) -> CryptoResult<Vec<u8>> {
    let der: PublicKeyX509Der<'static> = ed25519_pair(pkcs8)?.public_key().as_der().map_err(unspecified)?;
    Ok(der.as_ref().to_vec())
}

pub(super) fn x25519_pkcs8_to_raw(pkcs8: &[u8]) -> CryptoResult<Zeroizing<Vec<u8>>> {
    let info = oids::parse_pkcs8(pkcs8)?;
    if info.algorithm.oid != oids::X25519 {
        return Err(CryptoError::key("not an X25519 key"));
    }
    // CurvePrivateKey ::= OCTET STRING, inside the PKCS#8 privateKey OCTET STRING.
    let inner = <&OctetStringRef>::from_der(info.private_key.as_bytes())
        .map_err(|e| CryptoError::key(format!("X25519 private key: {e}")))?;
    check_len(inner.as_bytes())?;
    Ok(Zeroizing::new(inner.as_bytes().to_vec()))
}

pub(super) fn x25519_raw_to_pkcs8(raw: &[u8]) -> CryptoResult<Zeroizing<Vec<u8>>> {
    check_len(raw)?;
    agreement::PrivateKey::from_private_key(&agreement::X25519, raw).map_err(|_| CryptoError::key("X25519 key"))?;
    let enc = |e: der::Error| CryptoError::failed(format!("X25519 PKCS#8: {e}"));
    let curve_key = Zeroizing::new(OctetStringRef::new(raw).map_err(enc)?.to_der().map_err(enc)?);
    let info = PrivateKeyInfoRef::new(
        AlgorithmIdentifierRef { oid: oids::X25519, parameters: None },
        OctetStringRef::new(&curve_key).map_err(enc)?,
    );
    Ok(Zeroizing::new(info.to_der().map_err(enc)?))
}

pub(super) fn x25519_raw_to_spki(raw: &[u8]) -> CryptoResult<Vec<u8>> {
    check_len(raw)?;
    let enc = |e: der::Error| CryptoError::failed(format!("X25519 SubjectPublicKeyInfo: {e}"));
    let info = SubjectPublicKeyInfoRef {
        algorithm: AlgorithmIdentifierRef { oid: oids::X25519, parameters: None },
        subject_public_key: BitStringRef::from_bytes(raw).map_err(enc)?,
    };
    info.to_der().map_err(enc)
}

pub(crate) fn x25519_public_of_private(pkcs8: &[u8]) -> CryptoResult<Vec<u8>> {
    let raw = x25519_pkcs8_to_raw(pkcs8)?;
    let key = agreement::PrivateKey::from_private_key(&agreement::X25519, &raw)
        .map_err(|_| CryptoError::key("X25519 key"))?;
    let public = key.compute_public_key().map_err(unspecified)?;
    let der: PublicKeyX509Der<'static> = public.as_der().map_err(unspecified)?;
    Ok(der.as_ref().to_vec())
}
