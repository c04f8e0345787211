//! Object identifiers of key algorithms and curves, and reading them out of PKCS#8 and
//! SubjectPublicKeyInfo structures.

use der::Decode;
use der::asn1::ObjectIdentifier as Oid;
use pkcs8::PrivateKeyInfoRef;
use spki::{AlgorithmIdentifierRef, SubjectPublicKeyInfoRef};

use crate::asymmetric::{Curve, KeyAlgorithm};
use crate::{CryptoError, CryptoResult};

/// rsaEncryption (RFC 8017 Appendix C).
pub const RSA_ENCRYPTION: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
/// id-RSASSA-PSS, used by some certificates for PSS-only RSA keys.
pub const RSASSA_PSS: Oid = Oid::new_unwrap("1.2.840.113549.1.1.10");
/// id-ecPublicKey (RFC 5480).
pub const EC_PUBLIC_KEY: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
/// id-Ed25519 (RFC 8410).
pub const ED25519: Oid = Oid::new_unwrap("1.3.101.112");
/// id-X25519 (RFC 8410).
pub const X25519: Oid = Oid::new_unwrap("1.3.101.110");

const P256: Oid = Oid::new_unwrap("1.2.840.10045.3.1.7");
const P384: Oid = Oid::new_unwrap("1.3.132.0.34");
const P521: Oid = Oid::new_unwrap("1.3.132.0.35");
const SECP256K1: Oid = Oid::new_unwrap("1.3.132.0.10");

/// The named-curve OID of `curve`.
pub fn curve_oid(curve: Curve) -> Oid {
    match curve {
        Curve::P256 => P256,
        Curve::P384 => P384,
        Curve::P521 => P521,
        Curve::Secp256k1 => SECP256K1,
    }
}

/// The curve a named-curve OID names.
pub fn curve_of(oid: &Oid) -> CryptoResult<Curve> {
    Ok(match *oid {
        P256 => Curve::P256,
        P384 => Curve::P384,
        P521 => Curve::P521,
        SECP256K1 => Curve::Secp256k1,
        other => return Err(CryptoError::unsupported(format!("the elliptic curve {other}"))),
    })
}

/// The key algorithm an AlgorithmIdentifier names. EC keys without a named curve in the
/// identifier get `fallback_curve` (a PKCS#8 EC key may carry its curve inside ECPrivateKey).
pub fn algorithm_of(alg: &AlgorithmIdentifierRef<'_>, fallback_curve: Option<Curve>) -> CryptoResult<KeyAlgorithm> {
    Ok(match alg.oid {
        RSA_ENCRYPTION | RSASSA_PSS => KeyAlgorithm::Rsa,
        ED25519 => KeyAlgorithm::Ed25519,
        X25519 => KeyAlgorithm::X25519,
        EC_PUBLIC_KEY => match alg.parameters.map(|p| p.decode_as::<Oid>()) {
            Some(Ok(oid)) => KeyAlgorithm::Ec(curve_of(&oid)?),
            Some(Err(_)) => return Err(CryptoError::unsupported("explicit elliptic curve parameters")),
            None => KeyAlgorithm::Ec(fallback_curve.ok_or_else(|| CryptoError::key("an EC key without its curve"))?),
        },
        other => return Err(CryptoError::unsupported(format!("the key algorithm {other}"))),
    })
}

/// Parses a PKCS#8 PrivateKeyInfo (v1 or v2).
pub fn parse_pkcs8(der: &[u8]) -> CryptoResult<PrivateKeyInfoRef<'_>> {
    PrivateKeyInfoRef::from_der(der).map_err(|e| CryptoError::key(format!("not a PKCS#8 private key: {e}")))
}

/// Parses an X.509 SubjectPublicKeyInfo.
pub fn parse_spki(der: &[u8]) -> CryptoResult<SubjectPublicKeyInfoRef<'_>> {
    SubjectPublicKeyInfoRef::from_der(der).map_err(|e| CryptoError::key(format!("not a SubjectPublicKeyInfo: {e}")))
}

/// The algorithm of a PKCS#8 private key.
pub fn pkcs8_algorithm(der: &[u8]) -> CryptoResult<KeyAlgorithm> {
    let info = parse_pkcs8(der)?;
    let fallback = if info.algorithm.oid == EC_PUBLIC_KEY && info.algorithm.parameters.is_none() {
        sec1::EcPrivateKey::from_der(info.private_key.as_bytes())
            .ok()
            .and_then(|k| k.parameters)
            .and_then(|p| p.named_curve())
            .map(|oid| curve_of(&oid))
            .transpose()?
    } else {
        None
    };
    algorithm_of(&info.algorithm, fallback)
}

/// The algorithm of a SubjectPublicKeyInfo.
pub fn spki_algorithm(der: &[u8]) -> CryptoResult<KeyAlgorithm> {
    algorithm_of(&parse_spki(der)?.algorithm, None)
}
