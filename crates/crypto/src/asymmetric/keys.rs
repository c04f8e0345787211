//! Key pair generation and parsed keys.

use aws_lc_rs::agreement;
use aws_lc_rs::encoding::{AsBigEndian, AsDer, Curve25519SeedBin, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{EcdsaKeyPair, Ed25519KeyPair, KeyPair as _};
use zeroize::Zeroizing;

use super::{Curve, KeyAlgorithm};
use crate::formats::{self, KeyInfo, PrivateKeyFormat, PublicKeyFormat};
use crate::{CryptoError, CryptoResult};

/// What key pair to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyPairSpec {
    /// RSA with public exponent 65537. 2048, 3072, 4096 and 8192 bits come from aws-lc; 1024
    /// (legacy, for old clients and test suites) from the RustCrypto `rsa` crate.
    Rsa {
        bits: u32,
    },
    /// An EC key pair (for ECDSA or ECDH) on the curve.
    Ec(Curve),
    Ed25519,
    X25519,
}

/// A generated key pair: the private key as PKCS#8, the public key as SubjectPublicKeyInfo.
pub struct KeyPair {
    pub private_key: Zeroizing<Vec<u8>>,
    pub public_key: Vec<u8>,
}

impl core::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeyPair").field("public_key", &self.public_key.len()).finish_non_exhaustive()
    }
}

fn unspecified(_: aws_lc_rs::error::Unspecified) -> CryptoError {
    CryptoError::failed("key generation")
}

/// Generates a key pair.
pub fn generate_key_pair(spec: KeyPairSpec) -> CryptoResult<KeyPair> {
    let private_key = match spec {
        KeyPairSpec::Rsa { bits } => {
            let size = match bits {
                1024 => return legacy_rsa_1024(),
                2048 => KeySize::Rsa2048,
                3072 => KeySize::Rsa3072,
                4096 => KeySize::Rsa4096,
                8192 => KeySize::Rsa8192,
                other => return Err(CryptoError::unsupported(format!("RSA keys of {other} bits"))),
            };
            let pair = aws_lc_rs::rsa::KeyPair::generate(size).map_err(unspecified)?;
            let der: Pkcs8V1Der<'static> = pair.as_der().map_err(unspecified)?;
            Zeroizing::new(der.as_ref().to_vec())
        }
        KeyPairSpec::Ec(curve) => {
            let pair = EcdsaKeyPair::generate(formats::ec_signing_alg(curve)).map_err(unspecified)?;
            Zeroizing::new(pair.to_pkcs8v1().map_err(unspecified)?.as_ref().to_vec())
        }
        KeyPairSpec::Ed25519 => {
            let pair = Ed25519KeyPair::generate().map_err(unspecified)?;
            Zeroizing::new(pair.to_pkcs8v1().map_err(unspecified)?.as_ref().to_vec())
        }
        KeyPairSpec::X25519 => {
            let key = agreement::PrivateKey::generate(&agreement::X25519).map_err(unspecified)?;
            let raw: Curve25519SeedBin<'static> = key.as_be_bytes().map_err(unspecified)?;
            formats::private_key_to_pkcs8(raw.as_ref(), PrivateKeyFormat::Raw(KeyAlgorithm::X25519))?
        }
    };
    let public_key = formats::public_key_of(&private_key)?;
    Ok(KeyPair { private_key, public_key })
}

fn legacy_rsa_1024() -> CryptoResult<KeyPair> {
    use rsa::pkcs8::EncodePrivateKey;
    let key = rsa::PrivateKey::new(&mut crate::random::AwsLcRng, 1024)
        .map_err(|e| CryptoError::failed(format!("RSA key generation: {e}")))?;
    let der = key.to_pkcs8_der().map_err(|e| CryptoError::failed(format!("PKCS#8 encoding: {e}")))?;
    let private_key = Zeroizing::new(der.as_bytes().to_vec());
    let public_key = formats::public_key_of(&private_key)?;
    Ok(KeyPair { private_key, public_key })
}

/// A private key, parsed once for repeated use. Holds the PKCS#8 encoding (zeroized on drop) and
/// the aws-lc key where aws-lc takes it.
pub struct PrivateKey {
    info: KeyInfo,
    pkcs8: Zeroizing<Vec<u8>>,
    pub(super) inner: Inner,
}

pub(super) enum Inner {
    /// aws-lc holds RSA keys of 2048 to 8192 bits; smaller ones go to the `rsa` crate.
    Rsa(Option<aws_lc_rs::rsa::KeyPair>),
    Ec(Curve, EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
    X25519,
}

impl core::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PrivateKey").field("info", &self.info).finish_non_exhaustive()
    }
}

impl PrivateKey {
    /// Parses a PKCS#8 private key (see [`crate::formats`] for other formats).
    pub fn from_pkcs8(der: &[u8]) -> CryptoResult<Self> {
        let info = formats::describe_private_key(der, PrivateKeyFormat::Pkcs8)?;
        let inner = match info.algorithm {
            KeyAlgorithm::Rsa if (2048..=8192).contains(&info.bits) => Inner::Rsa(Some(
                aws_lc_rs::rsa::KeyPair::from_pkcs8(der)
                    .map_err(|e| CryptoError::key(format!("RSA key rejected: {e}")))?,
            )),
            KeyAlgorithm::Rsa => {
                // Checked by the rsa crate now rather than at first use.
                super::legacy_rsa::private_key(der)?;
                Inner::Rsa(None)
            }
            KeyAlgorithm::Ec(_) => {
                let (curve, pair) = formats::ec_key_pair(der)?;
                Inner::Ec(curve, pair)
            }
            KeyAlgorithm::Ed25519 => Inner::Ed25519(formats::ed25519_pair(der)?),
            KeyAlgorithm::X25519 => Inner::X25519,
        };
        Ok(PrivateKey { info, pkcs8: Zeroizing::new(der.to_vec()), inner })
    }

    /// Parses a private key in any format [`crate::formats`] reads.
    pub fn from_der(der: &[u8], format: PrivateKeyFormat) -> CryptoResult<Self> {
        Self::from_pkcs8(&formats::private_key_to_pkcs8(der, format)?)
    }

    pub fn algorithm(&self) -> KeyAlgorithm {
        self.info.algorithm
    }

    /// The key size (see [`KeyInfo::bits`]).
    pub fn bits(&self) -> u32 {
        self.info.bits
    }

    pub fn info(&self) -> KeyInfo {
        self.info
    }

    /// The PKCS#8 encoding.
    pub fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The matching public key.
    pub fn public_key(&self) -> CryptoResult<PublicKey> {
        let spki = match &self.inner {
            Inner::Ec(_, pair) => {
                let der: PublicKeyX509Der<'static> = pair.public_key().as_der().map_err(unspecified)?;
                der.as_ref().to_vec()
            }
            _ => formats::public_key_of(&self.pkcs8)?,
        };
        Ok(PublicKey { info: self.info, spki })
    }
}

/// A public key: its SubjectPublicKeyInfo and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    info: KeyInfo,
    spki: Vec<u8>,
}

impl PublicKey {
    /// Parses and checks a SubjectPublicKeyInfo.
    pub fn from_spki(der: &[u8]) -> CryptoResult<Self> {
        let info = formats::describe_public_key(der, PublicKeyFormat::Spki)?;
        Ok(PublicKey { info, spki: der.to_vec() })
    }

    /// Parses a public key in any format [`crate::formats`] reads.
    pub fn from_der(der: &[u8], format: PublicKeyFormat) -> CryptoResult<Self> {
        Self::from_spki(&formats::public_key_to_spki(der, format)?)
    }

    pub fn algorithm(&self) -> KeyAlgorithm {
        self.info.algorithm
    }

    pub fn bits(&self) -> u32 {
        self.info.bits
    }

    pub fn info(&self) -> KeyInfo {
        self.info
    }

    /// The SubjectPublicKeyInfo encoding.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }
}
