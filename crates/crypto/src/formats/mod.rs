//! Key formats: conversions between them, and what a key is.
//!
//! PKCS#8 (private) and X.509 SubjectPublicKeyInfo (public) are the hubs: every format converts
//! to and from them, and the rest of the crate ([`crate::asymmetric`]) takes keys in them.
//!
//! | key | private formats | public formats |
//! | --- | --- | --- |
//! | RSA | [`PrivateKeyFormat::Pkcs1`], `Pkcs8`, transparent ([`RsaPrivateComponents`]) | [`PublicKeyFormat::Pkcs1`], `Spki`, transparent ([`RsaPublicComponents`]) |
//! | EC | [`PrivateKeyFormat::Sec1`] (ECPrivateKey), `Pkcs8`, `Raw(Ec(curve))` = the scalar d (transparent) | `Spki`, `Raw(Ec(curve))` = the point Q (transparent) |
//! | Ed25519, X25519 | `Pkcs8`, `Raw(..)` = the 32-byte private key | `Spki`, `Raw(..)` = the 32-byte public key |
//!
//! A conversion a key does not have (an EC key to PKCS#1, a raw key of one algorithm read as
//! another) is [`CryptoError::KeyFormatNotSupported`], which the server answers with "Key Format
//! Type Not Supported".
//!
//! [`describe_private_key`] and [`describe_public_key`] tell the algorithm, curve and size of a
//! key, for the Cryptographic Algorithm, Cryptographic Length and Recommended Curve attributes of
//! a registered key.

mod ec;
mod edwards;
pub(crate) mod oids;
mod pkcs12;
mod rsa;

pub use self::pkcs12::{Pkcs12Contents, read_pkcs12, write_pkcs12};

pub use self::rsa::{
    RsaPrivateComponents, RsaPublicComponents, rsa_private_components, rsa_private_from_components,
    rsa_public_components, rsa_public_from_components,
};
pub use crate::asymmetric::{Curve, KeyAlgorithm};

pub(crate) use self::ec::{key_pair as ec_key_pair, signing_alg as ec_signing_alg, verify_alg as ec_verify_alg};
pub(crate) use self::edwards::ed25519_pair;

use zeroize::Zeroizing;

use crate::{CryptoError, CryptoResult};

/// How a private key is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrivateKeyFormat {
    /// PKCS#1 RSAPrivateKey (RSA only).
    Pkcs1,
    /// PKCS#8 PrivateKeyInfo (RFC 5208 / RFC 5958), any algorithm.
    Pkcs8,
    /// SEC1 ECPrivateKey (RFC 5915), EC only.
    Sec1,
    /// The bare private value: the big-endian scalar d for EC, the 32 bytes for Ed25519 and
    /// X25519. Not for RSA (use [`RsaPrivateComponents`]).
    Raw(KeyAlgorithm),
}

/// How a public key is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PublicKeyFormat {
    /// PKCS#1 RSAPublicKey (RSA only).
    Pkcs1,
    /// X.509 SubjectPublicKeyInfo, any algorithm.
    Spki,
    /// The bare public value: the SEC1 point Q for EC, the 32 bytes for Ed25519 and X25519.
    /// Not for RSA (use [`RsaPublicComponents`]).
    Raw(KeyAlgorithm),
}

/// What a key is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyInfo {
    pub algorithm: KeyAlgorithm,
    /// The modulus size for RSA, the curve's field size for EC (256, 384, 521), 255 for Ed25519
    /// and X25519 (the size of Curve25519's field).
    pub bits: u32,
}

impl KeyInfo {
    /// The curve of an EC key.
    pub fn curve(&self) -> Option<Curve> {
        match self.algorithm {
            KeyAlgorithm::Ec(curve) => Some(curve),
            _ => None,
        }
    }
}

/// Any private key encoding → PKCS#8.
pub fn private_key_to_pkcs8(der: &[u8], from: PrivateKeyFormat) -> CryptoResult<Zeroizing<Vec<u8>>> {
    match from {
        PrivateKeyFormat::Pkcs8 => {
            // Validate by reading it; the bytes stay as given.
            describe_private_key(der, PrivateKeyFormat::Pkcs8)?;
            Ok(Zeroizing::new(der.to_vec()))
        }
        PrivateKeyFormat::Pkcs1 => rsa::private_pkcs1_to_pkcs8(der),
        PrivateKeyFormat::Sec1 => ec::sec1_to_pkcs8(der, None),
        PrivateKeyFormat::Raw(KeyAlgorithm::Ec(curve)) => ec::raw_to_pkcs8(curve, der),
        PrivateKeyFormat::Raw(KeyAlgorithm::Ed25519) => edwards::ed25519_raw_to_pkcs8(der),
        PrivateKeyFormat::Raw(KeyAlgorithm::X25519) => edwards::x25519_raw_to_pkcs8(der),
        PrivateKeyFormat::Raw(KeyAlgorithm::Rsa) => {
            Err(CryptoError::format("RSA keys have no raw form; use the components"))
        }
    }
}

/// PKCS#8 → the requested private key encoding.
pub fn private_key_from_pkcs8(pkcs8: &[u8], to: PrivateKeyFormat) -> CryptoResult<Zeroizing<Vec<u8>>> {
    let algorithm = oids::pkcs8_algorithm(pkcs8)?;
    match (to, algorithm) {
        (PrivateKeyFormat::Pkcs8, _) => Ok(Zeroizing::new(pkcs8.to_vec())),
        (PrivateKeyFormat::Pkcs1, KeyAlgorithm::Rsa) => rsa::private_pkcs8_to_pkcs1(pkcs8),
        (PrivateKeyFormat::Sec1, KeyAlgorithm::Ec(_)) => ec::pkcs8_to_sec1(pkcs8),
        (PrivateKeyFormat::Raw(want), have) if want == have => match have {
            KeyAlgorithm::Ec(_) => Ok(ec::pkcs8_to_raw(pkcs8)?.1),
            KeyAlgorithm::Ed25519 => edwards::ed25519_pkcs8_to_raw(pkcs8),
            KeyAlgorithm::X25519 => edwards::x25519_pkcs8_to_raw(pkcs8),
            KeyAlgorithm::Rsa => Err(CryptoError::format("RSA keys have no raw form; use the components")),
        },
        (to, have) => Err(CryptoError::format(format!("a {have:?} private key cannot be written as {to:?}"))),
    }
}

/// Converts a private key between two encodings.
pub fn convert_private_key(
    der: &[u8],
    from: PrivateKeyFormat,
    to: PrivateKeyFormat,
) -> CryptoResult<Zeroizing<Vec<u8>>> {
    private_key_from_pkcs8(&private_key_to_pkcs8(der, from)?, to)
}

/// Any public key encoding → SubjectPublicKeyInfo.
pub fn public_key_to_spki(der: &[u8], from: PublicKeyFormat) -> CryptoResult<Vec<u8>> {
    match from {
        PublicKeyFormat::Spki => {
            describe_public_key(der, PublicKeyFormat::Spki)?;
            Ok(der.to_vec())
        }
        PublicKeyFormat::Pkcs1 => rsa::public_pkcs1_to_spki(der),
        PublicKeyFormat::Raw(KeyAlgorithm::Ec(curve)) => ec::point_to_spki(curve, der),
        PublicKeyFormat::Raw(KeyAlgorithm::Ed25519) => edwards::ed25519_raw_to_spki(der),
        PublicKeyFormat::Raw(KeyAlgorithm::X25519) => edwards::x25519_raw_to_spki(der),
        PublicKeyFormat::Raw(KeyAlgorithm::Rsa) => {
            Err(CryptoError::format("RSA keys have no raw form; use the components"))
        }
    }
}

/// SubjectPublicKeyInfo → the requested public key encoding.
pub fn public_key_from_spki(spki: &[u8], to: PublicKeyFormat) -> CryptoResult<Vec<u8>> {
    let algorithm = oids::spki_algorithm(spki)?;
    match (to, algorithm) {
        (PublicKeyFormat::Spki, _) => Ok(spki.to_vec()),
        (PublicKeyFormat::Pkcs1, KeyAlgorithm::Rsa) => rsa::public_spki_to_pkcs1(spki),
        (PublicKeyFormat::Raw(want), have) if want == have => match have {
            KeyAlgorithm::Ec(_) => Ok(ec::spki_to_point(spki)?.1),
            KeyAlgorithm::Ed25519 | KeyAlgorithm::X25519 => edwards::spki_to_raw(spki),
            KeyAlgorithm::Rsa => Err(CryptoError::format("RSA keys have no raw form; use the components")),
        },
        (to, have) => Err(CryptoError::format(format!("a {have:?} public key cannot be written as {to:?}"))),
    }
}

/// Converts a public key between two encodings.
pub fn convert_public_key(der: &[u8], from: PublicKeyFormat, to: PublicKeyFormat) -> CryptoResult<Vec<u8>> {
    public_key_from_spki(&public_key_to_spki(der, from)?, to)
}

/// The public key (SubjectPublicKeyInfo) of a PKCS#8 private key.
pub fn public_key_of(pkcs8: &[u8]) -> CryptoResult<Vec<u8>> {
    match oids::pkcs8_algorithm(pkcs8)? {
        KeyAlgorithm::Rsa => rsa::public_of_private(pkcs8),
        KeyAlgorithm::Ec(_) => ec::public_of_private(pkcs8),
        KeyAlgorithm::Ed25519 => edwards::ed25519_public_of_private(pkcs8),
        KeyAlgorithm::X25519 => edwards::x25519_public_of_private(pkcs8),
    }
}

fn info(algorithm: KeyAlgorithm, rsa_bits: impl FnOnce() -> CryptoResult<u32>) -> CryptoResult<KeyInfo> {
    let bits = match algorithm {
        KeyAlgorithm::Rsa => rsa_bits()?,
        KeyAlgorithm::Ec(curve) => curve.bits(),
        KeyAlgorithm::Ed25519 | KeyAlgorithm::X25519 => 255,
    };
    Ok(KeyInfo { algorithm, bits })
}

/// The algorithm and size of a private key in `format`; the key is fully parsed (and for EC and
/// Curve25519 keys checked by aws-lc), so this doubles as validation on Register.
pub fn describe_private_key(der: &[u8], format: PrivateKeyFormat) -> CryptoResult<KeyInfo> {
    if format != PrivateKeyFormat::Pkcs8 {
        return describe_private_key(&private_key_to_pkcs8(der, format)?, PrivateKeyFormat::Pkcs8);
    }
    let algorithm = oids::pkcs8_algorithm(der)?;
    match algorithm {
        KeyAlgorithm::Ec(_) => drop(ec::key_pair(der)?),
        KeyAlgorithm::Ed25519 => drop(edwards::ed25519_pair(der)?),
        KeyAlgorithm::X25519 => drop(edwards::x25519_pkcs8_to_raw(der)?),
        KeyAlgorithm::Rsa => {}
    }
    info(algorithm, || rsa::bits_of_pkcs8(der))
}

/// The algorithm and size of a public key in `format` (checked as for private keys).
pub fn describe_public_key(der: &[u8], format: PublicKeyFormat) -> CryptoResult<KeyInfo> {
    if format != PublicKeyFormat::Spki {
        return describe_public_key(&public_key_to_spki(der, format)?, PublicKeyFormat::Spki);
    }
    let algorithm = oids::spki_algorithm(der)?;
    match algorithm {
        KeyAlgorithm::Ec(_) => drop(ec::spki_to_point(der)?),
        KeyAlgorithm::Ed25519 | KeyAlgorithm::X25519 => drop(edwards::spki_to_raw(der)?),
        KeyAlgorithm::Rsa => {}
    }
    info(algorithm, || rsa::bits_of_spki(der))
}

#[cfg(test)]
mod tests;
