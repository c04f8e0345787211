//! Asymmetric key pairs: which pair a request asks for, the Private Key and Public Key objects that
//! hold a generated pair, and what an asymmetric key says about itself (for the attributes of a
//! registered key).
//!
//! Generated keys are stored in the formats the OASIS test cases expect back (PKCS#1 for RSA, as in
//! AKLC-M-1-21) and otherwise in formats that name their own algorithm and curve: SEC1
//! ECPrivateKey and SubjectPublicKeyInfo for EC keys, PKCS#8 and SubjectPublicKeyInfo for
//! Curve25519 keys. Get converts to any other format on request.

use keyward_crypto::asymmetric::{self, KeyAlgorithm, KeyPairSpec};
use keyward_crypto::formats::{self, KeyInfo, PrivateKeyFormat, PublicKeyFormat};
use keyward_kmip::attributes::{Attribute, CryptographicDomainParameters};
use keyward_kmip::enums::{CryptographicAlgorithm, KeyFormatType, RecommendedCurve};
use keyward_kmip::masks::CryptographicUsageMask;
use keyward_kmip::objects::{KeyBlock, KeyMaterial, KeyValue, ManagedObject, PrivateKey, PublicKey};
use keyward_ttlv::{KmipEnum, KmipVersion};

use super::failure;
use super::material::{
    algorithm_to_kmip, curve_from_kmip, curve_to_kmip, private_key_material, private_key_pkcs8, public_key_material,
    public_key_spki,
};
use crate::error::{OpError, OpResult};

/// RSA moduli the server can generate: aws-lc's sizes, and 1024 bits (RustCrypto) for the 1.x
/// profiles and old clients. Which of them it may make is the algorithm policy's decision
/// ([`crate::algorithm_policy`]); 1024 is not in the default.
const RSA_SIZES: [i32; 5] = [1024, 2048, 3072, 4096, 8192];

/// What a Create Key Pair (or Re-key Key Pair) asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PairRequest {
    pub spec: KeyPairSpec,
    /// The Cryptographic Algorithm both keys record, as the client named it (EC, ECDSA, ECDH...).
    pub algorithm: CryptographicAlgorithm,
    /// The Cryptographic Length both keys record.
    pub length: i32,
    /// The curve of an elliptic-curve pair.
    pub curve: Option<RecommendedCurve>,
}

impl PairRequest {
    /// What the algorithm policy is asked about.
    pub fn kind(&self) -> crate::algorithm_policy::KeyKind {
        crate::algorithm_policy::KeyKind { algorithm: self.algorithm, bits: Some(self.length), curve: self.curve }
    }
}

fn attribute<T>(attributes: &[Attribute], select: impl Fn(&Attribute) -> Option<T>) -> Option<T> {
    attributes.iter().find_map(select)
}

/// Reads the pair a request asks for from the (merged) attributes of its private key: the
/// Cryptographic Algorithm, and the Cryptographic Length or the Recommended Curve of the
/// Cryptographic Domain Parameters. RSA defaults to 2048 bits, EC to P-256.
pub fn requested_pair(attributes: &[Attribute]) -> OpResult<PairRequest> {
    let algorithm =
        attribute(attributes, |a| if let Attribute::CryptographicAlgorithm(x) = a { Some(*x) } else { None })
            .ok_or_else(|| OpError::MissingData("Cryptographic Algorithm".into()))?;
    let length = attribute(attributes, |a| if let Attribute::CryptographicLength(x) = a { Some(*x) } else { None });
    let curve = attribute(attributes, |a| match a {
        Attribute::CryptographicDomainParameters(p) => p.recommended_curve,
        _ => None,
    });
    match algorithm {
        CryptographicAlgorithm::RSA => {
            let bits = length.unwrap_or(2048);
            if !RSA_SIZES.contains(&bits) {
                return Err(OpError::InvalidField(format!(
                    "RSA keys are made of 1024, 2048, 3072, 4096 or 8192 bits, not {bits}"
                )));
            }
            let spec = KeyPairSpec::Rsa { bits: bits.unsigned_abs() };
            Ok(PairRequest { spec, algorithm, length: bits, curve: None })
        }
        CryptographicAlgorithm::EC | CryptographicAlgorithm::ECDSA | CryptographicAlgorithm::ECDH => {
            elliptic_pair(algorithm, length, curve)
        }
        CryptographicAlgorithm::Ed25519 => {
            if curve.is_some_and(|c| c != RecommendedCurve::CURVE25519) {
                return Err(OpError::InvalidField("an Ed25519 key is on Curve25519".into()));
            }
            Ok(PairRequest { spec: KeyPairSpec::Ed25519, algorithm, length: curve25519_length(length)?, curve: None })
        }
        other => Err(OpError::InvalidField(format!("Create Key Pair does not make {other:?} keys"))),
    }
}

/// Curve25519 keys are 32 bytes over a 255-bit field: either length describes them.
fn curve25519_length(length: Option<i32>) -> OpResult<i32> {
    match length {
        None => Ok(255),
        Some(bits @ (255 | 256)) => Ok(bits),
        Some(other) => Err(OpError::InvalidField(format!("a Curve25519 key has 255 bits, not {other}"))),
    }
}

fn elliptic_pair(
    algorithm: CryptographicAlgorithm,
    length: Option<i32>,
    curve: Option<RecommendedCurve>,
) -> OpResult<PairRequest> {
    let curve = match (curve, length) {
        (Some(curve), _) => curve,
        (None, None | Some(256)) => RecommendedCurve::P_256,
        (None, Some(384)) => RecommendedCurve::P_384,
        (None, Some(521)) => RecommendedCurve::P_521,
        (None, Some(other)) => {
            return Err(OpError::InvalidField(format!("no curve of {other} bits; name one as Recommended Curve")));
        }
    };
    // ECDH on Curve25519 is X25519; ECDSA has no Curve25519 form (that is Ed25519).
    if curve == RecommendedCurve::CURVE25519 && algorithm != CryptographicAlgorithm::ECDSA {
        return Ok(PairRequest {
            spec: KeyPairSpec::X25519,
            algorithm,
            length: curve25519_length(length)?,
            curve: Some(curve),
        });
    }
    let crypto_curve = curve_from_kmip(curve)?;
    let bits = i32::try_from(crypto_curve.bits()).unwrap_or(i32::MAX);
    if length.is_some_and(|l| l != bits) {
        return Err(OpError::InvalidField(format!("{curve:?} has {bits} bits, not {}", length.unwrap_or(0))));
    }
    Ok(PairRequest { spec: KeyPairSpec::Ec(crypto_curve), algorithm, length: bits, curve: Some(curve) })
}

/// The usage masks a pair gets when the client gives none: signing for every kind of pair, and
/// encryption too for RSA.
pub fn default_masks(algorithm: CryptographicAlgorithm) -> (CryptographicUsageMask, CryptographicUsageMask) {
    let private = CryptographicUsageMask::Sign;
    let public = CryptographicUsageMask::Verify;
    match algorithm {
        CryptographicAlgorithm::RSA => {
            (private | CryptographicUsageMask::Decrypt, public | CryptographicUsageMask::Encrypt)
        }
        CryptographicAlgorithm::ECDH => (CryptographicUsageMask::KeyAgreement, CryptographicUsageMask::KeyAgreement),
        _ => (private, public),
    }
}

/// The formats keys of an algorithm are stored in: (private, public).
pub fn storage_formats(algorithm: KeyAlgorithm) -> (KeyFormatType, KeyFormatType) {
    match algorithm {
        KeyAlgorithm::Rsa => (KeyFormatType::PKCS_1, KeyFormatType::PKCS_1),
        KeyAlgorithm::Ec(_) => (KeyFormatType::ECPrivateKey, KeyFormatType::X_509),
        KeyAlgorithm::Ed25519 | KeyAlgorithm::X25519 => (KeyFormatType::PKCS_8, KeyFormatType::X_509),
    }
}

fn key_block(material: KeyMaterial, format: KeyFormatType, request: &PairRequest) -> KeyBlock {
    KeyBlock {
        key_format_type: format,
        key_compression_type: None,
        key_value: Some(KeyValue::Plain { key_material: material, attributes: Vec::new() }),
        cryptographic_algorithm: Some(request.algorithm),
        cryptographic_length: Some(request.length),
        key_wrapping_data: None,
    }
}

/// Generates the pair and wraps it in a Private Key and a Public Key object.
pub fn generate(request: &PairRequest) -> OpResult<(ManagedObject, ManagedObject)> {
    let pair = asymmetric::generate_key_pair(request.spec).map_err(failure)?;
    let info = formats::describe_private_key(&pair.private_key, PrivateKeyFormat::Pkcs8).map_err(failure)?;
    let (private_format, public_format) = storage_formats(info.algorithm);
    let private_material = private_key_material(&pair.private_key, private_format)?;
    let public_material = public_key_material(&pair.public_key, public_format)?;
    let private =
        ManagedObject::PrivateKey(PrivateKey { key_block: key_block(private_material, private_format, request) });
    let public = ManagedObject::PublicKey(PublicKey { key_block: key_block(public_material, public_format, request) });
    Ok((private, public))
}

/// The pair that replaces a private key (Re-key Key Pair): same algorithm, size and curve.
pub fn same_kind_as(private_key: &ManagedObject) -> OpResult<PairRequest> {
    let pkcs8 = private_key_pkcs8(private_key)?;
    let info = formats::describe_private_key(&pkcs8, PrivateKeyFormat::Pkcs8).map_err(failure)?;
    let block = private_key.key_block();
    let algorithm = block.and_then(|b| b.cryptographic_algorithm).unwrap_or_else(|| algorithm_to_kmip(info.algorithm));
    let recorded_length = block.and_then(|b| b.cryptographic_length);
    let (spec, curve) = match info.algorithm {
        KeyAlgorithm::Rsa => (KeyPairSpec::Rsa { bits: info.bits }, None),
        KeyAlgorithm::Ec(curve) => (KeyPairSpec::Ec(curve), Some(curve_to_kmip(curve))),
        KeyAlgorithm::Ed25519 => (KeyPairSpec::Ed25519, None),
        KeyAlgorithm::X25519 => (KeyPairSpec::X25519, Some(RecommendedCurve::CURVE25519)),
    };
    let length = recorded_length.unwrap_or_else(|| i32::try_from(info.bits).unwrap_or(i32::MAX));
    Ok(PairRequest { spec, algorithm, length, curve })
}

/// What an asymmetric key (a Private Key or Public Key object, or a certificate's key) is, when
/// its material can be read.
pub fn describe(object: &ManagedObject) -> Option<KeyInfo> {
    match object {
        ManagedObject::PrivateKey(_) => {
            let pkcs8 = private_key_pkcs8(object).ok()?;
            formats::describe_private_key(&pkcs8, PrivateKeyFormat::Pkcs8).ok()
        }
        ManagedObject::PublicKey(_) | ManagedObject::Certificate(_) => {
            let spki = public_key_spki(object).ok()?;
            formats::describe_public_key(&spki, PublicKeyFormat::Spki).ok()
        }
        _ => None,
    }
}

/// The attributes a key's material determines, in values `version` defines: Cryptographic
/// Algorithm (EC keys are ECDSA keys to clients older than the EC value) and Length, and for an
/// elliptic-curve key the Recommended Curve (in Cryptographic Domain Parameters).
pub fn attributes_of(info: &KeyInfo, version: KmipVersion) -> Vec<Attribute> {
    let mut attributes = Vec::with_capacity(3);
    let algorithm = match algorithm_to_kmip(info.algorithm) {
        CryptographicAlgorithm::EC if !CryptographicAlgorithm::EC.exists_in(version) => CryptographicAlgorithm::ECDSA,
        other => other,
    };
    if algorithm.exists_in(version) {
        attributes.push(Attribute::CryptographicAlgorithm(algorithm));
    }
    attributes.push(Attribute::CryptographicLength(i32::try_from(info.bits).unwrap_or(i32::MAX)));
    let curve = match info.algorithm {
        KeyAlgorithm::Ec(curve) => Some(curve_to_kmip(curve)),
        KeyAlgorithm::X25519 => Some(RecommendedCurve::CURVE25519),
        // The algorithm Ed25519 names its curve already.
        KeyAlgorithm::Ed25519 | KeyAlgorithm::Rsa => None,
    };
    if let Some(curve) = curve.filter(|c| c.exists_in(version)) {
        attributes.push(Attribute::CryptographicDomainParameters(CryptographicDomainParameters {
            qlength: None,
            recommended_curve: Some(curve),
        }));
    }
    attributes
}

/// The curve of a key pair request, as Cryptographic Domain Parameters, for the keys of an
/// elliptic-curve pair whose client named only a length.
pub fn domain_parameters(request: &PairRequest) -> Option<Attribute> {
    request.curve.map(|curve| {
        Attribute::CryptographicDomainParameters(CryptographicDomainParameters {
            qlength: None,
            recommended_curve: Some(curve),
        })
    })
}
