//! Elliptic-curve key formats: SEC1 ECPrivateKey (RFC 5915), PKCS#8, the raw private scalar d
//! (KMIP's Transparent EC Private Key), SubjectPublicKeyInfo and the raw public point Q.
//!
//! aws-lc-rs parses, validates (point on curve, scalar in range) and re-encodes; the RustCrypto
//! `sec1` crate only builds the ECPrivateKey around a raw scalar, which aws-lc then reads and
//! completes with the public point.

use aws_lc_rs::encoding::{
    AsBigEndian, AsDer, EcPrivateKeyBin, EcPrivateKeyRfc5915Der, EcPublicKeyUncompressedBin, PublicKeyX509Der,
};
use aws_lc_rs::signature::{
    self as sig, EcdsaKeyPair, EcdsaSigningAlgorithm, EcdsaVerificationAlgorithm, KeyPair as _,
};
use der::{Decode, Encode};
use sec1::{EcParameters, EcPrivateKey};
use zeroize::Zeroizing;

use super::oids;
use crate::asymmetric::{Curve, KeyAlgorithm};
use crate::{CryptoError, CryptoResult};

/// The aws-lc-rs signing algorithm used to hold a key of `curve` (its hash matters only for
/// signing, see asymmetric::ecdsa).
pub(crate) fn signing_alg(curve: Curve) -> &'static EcdsaSigningAlgorithm {
    match curve {
        Curve::P256 => &sig::ECDSA_P256_SHA256_ASN1_SIGNING,
        Curve::P384 => &sig::ECDSA_P384_SHA384_ASN1_SIGNING,
        Curve::P521 => &sig::ECDSA_P521_SHA512_ASN1_SIGNING,
        Curve::Secp256k1 => &sig::ECDSA_P256K1_SHA256_ASN1_SIGNING,
    }
}

/// An aws-lc-rs verification algorithm for `curve`, used to parse and check public points.
pub(crate) fn verify_alg(curve: Curve) -> &'static EcdsaVerificationAlgorithm {
    match curve {
        Curve::P256 => &sig::ECDSA_P256_SHA256_ASN1,
        Curve::P384 => &sig::ECDSA_P384_SHA384_ASN1,
        Curve::P521 => &sig::ECDSA_P521_SHA512_ASN1,
        Curve::Secp256k1 => &sig::ECDSA_P256K1_SHA256_ASN1,
    }
}

fn rejected(e: aws_lc_rs::error::KeyRejected) -> CryptoError {
    CryptoError::key(format!("EC key rejected: {e}"))
}

fn unspecified(_: aws_lc_rs::error::Unspecified) -> CryptoError {
    CryptoError::failed("EC key encoding")
}

/// The curve of a PKCS#8 EC key.
fn curve_of_pkcs8(pkcs8: &[u8]) -> CryptoResult<Curve> {
    match oids::pkcs8_algorithm(pkcs8)? {
        KeyAlgorithm::Ec(curve) => Ok(curve),
        other => Err(CryptoError::format(format!("a {other:?} key has no EC form"))),
    }
}

/// Holds a PKCS#8 EC key in aws-lc.
pub(crate) fn key_pair(pkcs8: &[u8]) -> CryptoResult<(Curve, EcdsaKeyPair)> {
    let curve = curve_of_pkcs8(pkcs8)?;
    Ok((curve, EcdsaKeyPair::from_pkcs8(signing_alg(curve), pkcs8).map_err(rejected)?))
}

/// SEC1 ECPrivateKey → PKCS#8. The curve comes from the key's parameters, else from `hint`.
pub(super) fn sec1_to_pkcs8(sec1_der: &[u8], hint: Option<Curve>) -> CryptoResult<Zeroizing<Vec<u8>>> {
    let parsed = EcPrivateKey::from_der(sec1_der).map_err(|e| CryptoError::key(format!("not an ECPrivateKey: {e}")))?;
    let curve = match parsed.parameters.and_then(|p| p.named_curve()) {
        Some(oid) => oids::curve_of(&oid)?,
        None => hint.ok_or_else(|| CryptoError::key("an ECPrivateKey without its curve"))?,
    };
    let pair = EcdsaKeyPair::from_private_key_der(signing_alg(curve), sec1_der).map_err(rejected)?;
    Ok(Zeroizing::new(pair.to_pkcs8v1().map_err(unspecified)?.as_ref().to_vec()))
}

/// PKCS#8 → SEC1 ECPrivateKey (with the named curve and the public point).
pub(super) fn pkcs8_to_sec1(pkcs8: &[u8]) -> CryptoResult<Zeroizing<Vec<u8>>> {
    let (_, pair) = key_pair(pkcs8)?;
    let der: EcPrivateKeyRfc5915Der<'static> = pair.private_key().as_der().map_err(unspecified)?;
    Ok(Zeroizing::new(der.as_ref().to_vec()))
}

/// The private scalar d (big-endian, the curve's length) → PKCS#8.
pub(super) fn raw_to_pkcs8(curve: Curve, d: &[u8]) -> CryptoResult<Zeroizing<Vec<u8>>> {
    let len = curve.scalar_len();
    let significant = d.iter().skip_while(|b| **b == 0).count();
    if significant > len || significant == 0 {
        return Err(CryptoError::key(format!(
            "an EC private scalar for {curve:?} is at most {len} bytes and not zero"
        )));
    }
    // SEC1 wants the scalar as an octet string of exactly the order's length.
    let mut padded = Zeroizing::new(vec![0u8; len]);
    padded[len - significant..].copy_from_slice(&d[d.len() - significant..]);
    let sec1_key = EcPrivateKey {
        private_key: &padded,
        parameters: Some(EcParameters::NamedCurve(oids::curve_oid(curve))),
        public_key: None,
    };
    let der = Zeroizing::new(sec1_key.to_der().map_err(|e| CryptoError::key(format!("ECPrivateKey: {e}")))?);
    // aws-lc computes the public point but then leaves it out of what it writes (it remembers the
    // input had none), so write the ECPrivateKey again with the point, for readers that want it.
    let pair = EcdsaKeyPair::from_private_key_der(signing_alg(curve), &der).map_err(rejected)?;
    let point: EcPublicKeyUncompressedBin<'static> = pair.public_key().as_be_bytes().map_err(unspecified)?;
    let with_point = EcPrivateKey { public_key: Some(point.as_ref()), ..sec1_key };
    let der = Zeroizing::new(with_point.to_der().map_err(|e| CryptoError::key(format!("ECPrivateKey: {e}")))?);
    sec1_to_pkcs8(&der, Some(curve))
}

/// PKCS#8 → the curve and the private scalar d.
pub(super) fn pkcs8_to_raw(pkcs8: &[u8]) -> CryptoResult<(Curve, Zeroizing<Vec<u8>>)> {
    let (curve, pair) = key_pair(pkcs8)?;
    let d: EcPrivateKeyBin<'static> = pair.private_key().as_be_bytes().map_err(unspecified)?;
    Ok((curve, Zeroizing::new(d.as_ref().to_vec())))
}

/// The public point Q (SEC1 encoding, normally uncompressed) → SubjectPublicKeyInfo.
pub(super) fn point_to_spki(curve: Curve, point: &[u8]) -> CryptoResult<Vec<u8>> {
    let parsed = sig::ParsedPublicKey::new(verify_alg(curve), point).map_err(rejected)?;
    let der: PublicKeyX509Der<'static> = parsed.as_der().map_err(unspecified)?;
    Ok(der.as_ref().to_vec())
}

/// SubjectPublicKeyInfo → the curve and the public point as stored in it.
pub(super) fn spki_to_point(spki: &[u8]) -> CryptoResult<(Curve, Vec<u8>)> {
    let curve = match oids::spki_algorithm(spki)? {
        KeyAlgorithm::Ec(curve) => curve,
        other => return Err(CryptoError::format(format!("a {other:?} key has no EC point"))),
    };
    // Let aws-lc check the point is on the curve.
    sig::ParsedPublicKey::new(verify_alg(curve), spki).map_err(rejected)?;
    let info = oids::parse_spki(spki)?;
    let point = info.subject_public_key.as_bytes().ok_or_else(|| CryptoError::key("a partial-byte EC point"))?;
    Ok((curve, point.to_vec()))
}

/// The SubjectPublicKeyInfo of a PKCS#8 EC private key.
pub(crate) fn public_of_private(pkcs8: &[u8]) -> CryptoResult<Vec<u8>> {
    let (_, pair) = key_pair(pkcs8)?;
    let der: PublicKeyX509Der<'static> = pair.public_key().as_der().map_err(unspecified)?;
    Ok(der.as_ref().to_vec())
}
