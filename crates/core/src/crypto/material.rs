//! The key material of managed objects, in and out of every KMIP Key Format Type: raw bytes of
//! symmetric keys and secrets, PKCS#1 / PKCS#8 / SEC1 / X.509 encodings of asymmetric keys, and the
//! Transparent structures whose fields are Big Integers (KMIP 2.1 §2.1.7, 1.4 §2.1.7).
//!
//! The cryptographic layer works on PKCS#8 (private keys) and SubjectPublicKeyInfo (public keys);
//! this module converts to and from them.

use keyward_crypto::asymmetric::{Curve, KeyAlgorithm};
use keyward_crypto::formats::{self, PrivateKeyFormat, PublicKeyFormat, RsaPrivateComponents, RsaPublicComponents};
use keyward_kmip::Bytes;
use keyward_kmip::codec::BigInt;
use keyward_kmip::enums::{CryptographicAlgorithm, KeyFormatType, RecommendedCurve};
use keyward_kmip::objects::{KeyBlock, KeyMaterial, KeyValue, ManagedObject};
use keyward_ttlv::{Item, Tag, Value};
use zeroize::Zeroizing;

use super::failure;
use crate::error::{OpError, OpResult};

/// The plain (not wrapped) key value of a key block.
fn plain_material(block: &KeyBlock) -> OpResult<&KeyMaterial> {
    match &block.key_value {
        Some(KeyValue::Plain { key_material, .. }) => Ok(key_material),
        Some(KeyValue::Wrapped(_)) => Err(OpError::FeatureNotSupported("the key is stored wrapped".into())),
        // Registered without its value (1.2 §3.41): the key is elsewhere.
        None => Err(OpError::KeyValueNotPresent("the object".into())),
    }
}

fn field(fields: &[Item], tag: Tag) -> Option<&Value> {
    fields.iter().find(|i| i.tag == tag).map(|i| &i.value)
}

fn big(fields: &[Item], tag: Tag) -> OpResult<Zeroizing<Vec<u8>>> {
    match field(fields, tag) {
        Some(Value::BigInteger(v)) => {
            Ok(Zeroizing::new(keyward_ttlv::big_integer::to_unsigned(v).unwrap_or(&[]).to_vec()))
        }
        Some(Value::ByteString(v)) => Ok(v.clone()),
        _ => Err(OpError::InvalidField(format!("the transparent key has no {tag}"))),
    }
}

fn big_item(tag: Tag, magnitude: &[u8]) -> Item {
    Item::new(tag, Value::BigInteger(BigInt::from_unsigned(magnitude).0))
}

/// The bytes of a symmetric key or secret: Raw, Opaque or Transparent Symmetric Key.
pub fn symmetric_key(object: &ManagedObject) -> OpResult<Zeroizing<Vec<u8>>> {
    let block = object.key_block().ok_or_else(|| OpError::IllegalOperation("the object holds no key".into()))?;
    match (block.key_format_type, plain_material(block)?) {
        (KeyFormatType::Raw | KeyFormatType::Opaque, KeyMaterial::Bytes(bytes)) => Ok(bytes.0.clone()),
        (KeyFormatType::TransparentSymmetricKey, KeyMaterial::Structure(fields)) => match field(fields, Tag::Key) {
            Some(Value::ByteString(bytes)) => Ok(bytes.clone()),
            _ => Err(OpError::InvalidField("the transparent symmetric key has no Key".into())),
        },
        (other, _) => Err(OpError::KeyFormatTypeNotSupported(format!("{other:?} for a symmetric key"))),
    }
}

/// The crypto curve of a KMIP Recommended Curve.
pub fn curve_from_kmip(curve: RecommendedCurve) -> OpResult<Curve> {
    Ok(match curve {
        RecommendedCurve::P_256 => Curve::P256,
        RecommendedCurve::P_384 => Curve::P384,
        RecommendedCurve::P_521 => Curve::P521,
        RecommendedCurve::SECP256K1 => Curve::Secp256k1,
        other => return Err(OpError::UnsupportedParameters(format!("curve {other:?}"))),
    })
}

/// The KMIP Recommended Curve of a crypto curve.
pub fn curve_to_kmip(curve: Curve) -> RecommendedCurve {
    match curve {
        Curve::P256 => RecommendedCurve::P_256,
        Curve::P384 => RecommendedCurve::P_384,
        Curve::P521 => RecommendedCurve::P_521,
        Curve::Secp256k1 => RecommendedCurve::SECP256K1,
    }
}

/// The KMIP algorithm of a key.
pub fn algorithm_to_kmip(algorithm: KeyAlgorithm) -> CryptographicAlgorithm {
    match algorithm {
        KeyAlgorithm::Rsa => CryptographicAlgorithm::RSA,
        KeyAlgorithm::Ec(_) => CryptographicAlgorithm::EC,
        KeyAlgorithm::Ed25519 => CryptographicAlgorithm::Ed25519,
        // KMIP names no X25519 algorithm: it is an ECDH key on Curve25519.
        KeyAlgorithm::X25519 => CryptographicAlgorithm::ECDH,
    }
}

/// A private key as PKCS#8, whatever KMIP format it is stored in.
pub fn private_key_pkcs8(object: &ManagedObject) -> OpResult<Zeroizing<Vec<u8>>> {
    let block = object.key_block().ok_or_else(|| OpError::IllegalOperation("the object holds no key".into()))?;
    let material = plain_material(block)?;
    match (block.key_format_type, material) {
        (KeyFormatType::PKCS_8, KeyMaterial::Bytes(der)) => Ok(der.0.clone()),
        (KeyFormatType::PKCS_1, KeyMaterial::Bytes(der)) => {
            formats::private_key_to_pkcs8(der.as_slice(), PrivateKeyFormat::Pkcs1).map_err(failure)
        }
        (KeyFormatType::ECPrivateKey, KeyMaterial::Bytes(der)) => {
            formats::private_key_to_pkcs8(der.as_slice(), PrivateKeyFormat::Sec1).map_err(failure)
        }
        (KeyFormatType::Raw, KeyMaterial::Bytes(raw))
            if block.cryptographic_algorithm == Some(CryptographicAlgorithm::Ed25519) =>
        {
            formats::private_key_to_pkcs8(raw.as_slice(), PrivateKeyFormat::Raw(KeyAlgorithm::Ed25519)).map_err(failure)
        }
        (KeyFormatType::TransparentRSAPrivateKey, KeyMaterial::Structure(fields)) => {
            let components = RsaPrivateComponents {
                n: big(fields, Tag::Modulus)?.to_vec(),
                e: big(fields, Tag::PublicExponent)?.to_vec(),
                d: big(fields, Tag::PrivateExponent)?,
                p: big(fields, Tag::P)?,
                q: big(fields, Tag::Q)?,
                dp: big(fields, Tag::PrimeExponentP)?,
                dq: big(fields, Tag::PrimeExponentQ)?,
                qinv: big(fields, Tag::CRTCoefficient)?,
            };
            formats::rsa_private_from_components(&components).map_err(failure)
        }
        (
            KeyFormatType::TransparentECPrivateKey | KeyFormatType::TransparentECDSAPrivateKey,
            KeyMaterial::Structure(fields),
        ) => {
            let curve = match field(fields, Tag::RecommendedCurve) {
                Some(Value::Enumeration(c)) => curve_from_kmip(RecommendedCurve(*c))?,
                _ => return Err(OpError::InvalidField("the transparent EC key has no Recommended Curve".into())),
            };
            let d = big(fields, Tag::D)?;
            formats::private_key_to_pkcs8(&d, PrivateKeyFormat::Raw(KeyAlgorithm::Ec(curve))).map_err(failure)
        }
        (other, _) => Err(OpError::KeyFormatTypeNotSupported(format!("{other:?} for a private key"))),
    }
}

/// A public key as SubjectPublicKeyInfo, from a Public Key (any KMIP format) or a Certificate.
pub fn public_key_spki(object: &ManagedObject) -> OpResult<Vec<u8>> {
    if let ManagedObject::Certificate(certificate) = object {
        let info = keyward_crypto::certificates::describe_certificate(certificate.certificate_value.as_slice())
            .map_err(failure)?;
        return Ok(info.spki_der);
    }
    let block = object.key_block().ok_or_else(|| OpError::IllegalOperation("the object holds no key".into()))?;
    let material = plain_material(block)?;
    match (block.key_format_type, material) {
        (KeyFormatType::X_509, KeyMaterial::Bytes(der)) => Ok(der.as_slice().to_vec()),
        (KeyFormatType::PKCS_1, KeyMaterial::Bytes(der)) => {
            formats::public_key_to_spki(der.as_slice(), PublicKeyFormat::Pkcs1).map_err(failure)
        }
        (KeyFormatType::Raw, KeyMaterial::Bytes(raw))
            if block.cryptographic_algorithm == Some(CryptographicAlgorithm::Ed25519) =>
        {
            formats::public_key_to_spki(raw.as_slice(), PublicKeyFormat::Raw(KeyAlgorithm::Ed25519)).map_err(failure)
        }
        (KeyFormatType::TransparentRSAPublicKey, KeyMaterial::Structure(fields)) => {
            let components = RsaPublicComponents {
                n: big(fields, Tag::Modulus)?.to_vec(),
                e: big(fields, Tag::PublicExponent)?.to_vec(),
            };
            formats::rsa_public_from_components(&components).map_err(failure)
        }
        (
            KeyFormatType::TransparentECPublicKey | KeyFormatType::TransparentECDSAPublicKey,
            KeyMaterial::Structure(fields),
        ) => {
            let curve = match field(fields, Tag::RecommendedCurve) {
                Some(Value::Enumeration(c)) => curve_from_kmip(RecommendedCurve(*c))?,
                _ => return Err(OpError::InvalidField("the transparent EC key has no Recommended Curve".into())),
            };
            let q = match field(fields, Tag::QString) {
                Some(Value::ByteString(q)) => q.clone(),
                _ => return Err(OpError::InvalidField("the transparent EC key has no Q String".into())),
            };
            formats::public_key_to_spki(&q, PublicKeyFormat::Raw(KeyAlgorithm::Ec(curve))).map_err(failure)
        }
        (other, _) => Err(OpError::KeyFormatTypeNotSupported(format!("{other:?} for a public key"))),
    }
}

/// A private key's material in a requested KMIP format.
pub fn private_key_material(pkcs8: &[u8], format: KeyFormatType) -> OpResult<KeyMaterial> {
    let info = formats::describe_private_key(pkcs8, PrivateKeyFormat::Pkcs8).map_err(failure)?;
    let bytes = |der: Zeroizing<Vec<u8>>| KeyMaterial::Bytes(Bytes(der));
    Ok(match format {
        KeyFormatType::PKCS_8 => KeyMaterial::Bytes(Bytes::new(pkcs8.to_vec())),
        KeyFormatType::PKCS_1 => {
            bytes(formats::private_key_from_pkcs8(pkcs8, PrivateKeyFormat::Pkcs1).map_err(failure)?)
        }
        KeyFormatType::ECPrivateKey => {
            bytes(formats::private_key_from_pkcs8(pkcs8, PrivateKeyFormat::Sec1).map_err(failure)?)
        }
        KeyFormatType::Raw if matches!(info.algorithm, KeyAlgorithm::Ed25519 | KeyAlgorithm::X25519) => {
            bytes(formats::private_key_from_pkcs8(pkcs8, PrivateKeyFormat::Raw(info.algorithm)).map_err(failure)?)
        }
        KeyFormatType::TransparentRSAPrivateKey => {
            let c = formats::rsa_private_components(pkcs8).map_err(failure)?;
            KeyMaterial::Structure(vec![
                big_item(Tag::Modulus, &c.n),
                big_item(Tag::PrivateExponent, &c.d),
                big_item(Tag::PublicExponent, &c.e),
                big_item(Tag::P, &c.p),
                big_item(Tag::Q, &c.q),
                big_item(Tag::PrimeExponentP, &c.dp),
                big_item(Tag::PrimeExponentQ, &c.dq),
                big_item(Tag::CRTCoefficient, &c.qinv),
            ])
        }
        KeyFormatType::TransparentECPrivateKey => {
            let curve = info.curve().ok_or_else(|| OpError::KeyFormatTypeNotSupported("not an EC key".into()))?;
            let d = formats::private_key_from_pkcs8(pkcs8, PrivateKeyFormat::Raw(info.algorithm)).map_err(failure)?;
            KeyMaterial::Structure(vec![
                Item::enumeration(Tag::RecommendedCurve, curve_to_kmip(curve).0),
                big_item(Tag::D, &d),
            ])
        }
        other => return Err(OpError::KeyFormatTypeNotSupported(format!("{other:?} for a private key"))),
    })
}

/// A public key's material in a requested KMIP format.
pub fn public_key_material(spki: &[u8], format: KeyFormatType) -> OpResult<KeyMaterial> {
    let info = formats::describe_public_key(spki, PublicKeyFormat::Spki).map_err(failure)?;
    let bytes = |der: Vec<u8>| KeyMaterial::Bytes(Bytes::new(der));
    Ok(match format {
        KeyFormatType::X_509 => bytes(spki.to_vec()),
        KeyFormatType::PKCS_1 => bytes(formats::public_key_from_spki(spki, PublicKeyFormat::Pkcs1).map_err(failure)?),
        KeyFormatType::Raw if matches!(info.algorithm, KeyAlgorithm::Ed25519 | KeyAlgorithm::X25519) => {
            bytes(formats::public_key_from_spki(spki, PublicKeyFormat::Raw(info.algorithm)).map_err(failure)?)
        }
        KeyFormatType::TransparentRSAPublicKey => {
            let c = formats::rsa_public_components(spki).map_err(failure)?;
            KeyMaterial::Structure(vec![big_item(Tag::Modulus, &c.n), big_item(Tag::PublicExponent, &c.e)])
        }
        KeyFormatType::TransparentECPublicKey => {
            let curve = info.curve().ok_or_else(|| OpError::KeyFormatTypeNotSupported("not an EC key".into()))?;
            let q = formats::public_key_from_spki(spki, PublicKeyFormat::Raw(info.algorithm)).map_err(failure)?;
            KeyMaterial::Structure(vec![
                Item::enumeration(Tag::RecommendedCurve, curve_to_kmip(curve).0),
                Item::bytes(Tag::QString, q),
            ])
        }
        other => return Err(OpError::KeyFormatTypeNotSupported(format!("{other:?} for a public key"))),
    })
}

/// A symmetric key's material in a requested KMIP format (Raw or Transparent Symmetric Key).
pub fn symmetric_key_material(key: &[u8], format: KeyFormatType) -> OpResult<KeyMaterial> {
    Ok(match format {
        KeyFormatType::Raw | KeyFormatType::Opaque => KeyMaterial::Bytes(Bytes::new(key.to_vec())),
        KeyFormatType::TransparentSymmetricKey => KeyMaterial::Structure(vec![Item::bytes(Tag::Key, key.to_vec())]),
        other => return Err(OpError::KeyFormatTypeNotSupported(format!("{other:?} for a symmetric key"))),
    })
}
