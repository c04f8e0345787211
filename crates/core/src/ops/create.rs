//! Create (2.1 §6.1.10, 1.4 §4.1): the server generates a symmetric key (AES, 3DES, HMAC) or, in
//! 2.x, Secret Data.

use keyward_kmip::attributes::Attribute;
use keyward_kmip::enums::{CryptographicAlgorithm, KeyFormatType, ObjectType, SecretDataType, UniqueIdentifier};
use keyward_kmip::masks::CryptographicUsageMask;
use keyward_kmip::objects::{KeyBlock, KeyMaterial, KeyValue, ManagedObject, SecretData, SymmetricKey};
use keyward_kmip::payloads::create::{CreateRequest, CreateResponse};
use keyward_kmip::{Bytes, KmipVersion};

use crate::algorithm_policy::allow_new_object;
use crate::context::Context;
use crate::creation::{expand_templates, new_object};
use crate::error::{OpError, OpResult};

pub(crate) fn run(cx: &mut Context<'_>, request: &CreateRequest) -> OpResult<CreateResponse> {
    let mut attributes = expand_templates(cx, &request.attributes)?;
    let object = match request.object_type {
        ObjectType::SymmetricKey => {
            let key = symmetric_key(&mut attributes)?;
            allow_new_object(cx, &key)?;
            key
        }
        ObjectType::SecretData if cx.version >= KmipVersion::V2_0 => secret_data(&attributes)?,
        other => {
            return Err(OpError::InvalidField(format!("Create cannot make a {other:?}")));
        }
    };
    let stored = new_object(cx, Some(object), request.object_type, attributes, true)?;
    let uid = stored.unique_identifier.clone();
    cx.insert(stored);
    cx.set_placeholder(Some(uid.clone()));
    cx.record_result(UniqueIdentifier::Create, &uid);
    cx.record_returned([&uid]);
    Ok(CreateResponse { object_type: request.object_type, unique_identifier: uid, attributes: None })
}

/// The number of key bytes to generate for a symmetric key of this algorithm, the Cryptographic
/// Length to record, and the usage mask it gets when the client gives none.
fn check_length(
    algorithm: CryptographicAlgorithm,
    bits: Option<i32>,
) -> OpResult<(usize, i32, CryptographicUsageMask)> {
    let encrypt = CryptographicUsageMask::Encrypt | CryptographicUsageMask::Decrypt;
    let mac = CryptographicUsageMask::MACGenerate | CryptographicUsageMask::MACVerify;
    let invalid = |why: &str| OpError::InvalidField(format!("{algorithm:?}: {why}"));
    let (bits, mask) = match algorithm {
        CryptographicAlgorithm::AES => match bits {
            Some(b @ (128 | 192 | 256)) => (b, encrypt),
            Some(_) => return Err(invalid("the length must be 128, 192 or 256")),
            None => return Err(OpError::MissingData("Cryptographic Length".into())),
        },
        // Two-key (112) or three-key (168) Triple DES: 16 or 24 bytes with their parity bits, the
        // length kept as the client gave it (the OASIS SKFF cases expect 168 back).
        CryptographicAlgorithm::DES3 => match bits {
            Some(112) => return Ok((16, 112, encrypt)),
            Some(128) => return Ok((16, 128, encrypt)),
            Some(b @ (168 | 192)) => return Ok((24, b, encrypt)),
            None => return Ok((24, 168, encrypt)),
            Some(_) => return Err(invalid("the length must be 112 or 168 (128 or 192 with parity)")),
        },
        CryptographicAlgorithm::HMAC_SHA1
        | CryptographicAlgorithm::HMAC_SHA224
        | CryptographicAlgorithm::HMAC_SHA256
        | CryptographicAlgorithm::HMAC_SHA384
        | CryptographicAlgorithm::HMAC_SHA512 => {
            let default = match algorithm {
                CryptographicAlgorithm::HMAC_SHA1 => 160,
                CryptographicAlgorithm::HMAC_SHA224 => 224,
                CryptographicAlgorithm::HMAC_SHA256 => 256,
                CryptographicAlgorithm::HMAC_SHA384 => 384,
                _ => 512,
            };
            match bits.unwrap_or(default) {
                b if b >= 8 && b % 8 == 0 && b <= 8192 => (b, mac),
                _ => return Err(invalid("the length must be a whole number of bytes")),
            }
        }
        // Any other symmetric algorithm (DES, SKIPJACK, Camellia, ChaCha20...): random bytes of the
        // length asked, which the client must give.
        _ => match bits {
            Some(b) if b >= 8 && b % 8 == 0 && b <= 8192 => (b, encrypt),
            Some(_) => return Err(invalid("the length must be a whole number of bytes")),
            None => return Err(OpError::MissingData("Cryptographic Length".into())),
        },
    };
    Ok((usize::try_from(bits).unwrap_or(0) / 8, bits, mask))
}

fn symmetric_key(attributes: &mut Vec<Attribute>) -> OpResult<ManagedObject> {
    let algorithm = find_in(attributes, |a| if let Attribute::CryptographicAlgorithm(x) = a { Some(*x) } else { None })
        .ok_or_else(|| OpError::MissingData("Cryptographic Algorithm".into()))?;
    let length = find_in(attributes, |a| if let Attribute::CryptographicLength(x) = a { Some(*x) } else { None });
    let (bytes, bits, default_mask) = check_length(algorithm, length)?;
    if find_in(attributes, |a| matches!(a, Attribute::CryptographicUsageMask(_)).then_some(())).is_none() {
        attributes.push(Attribute::CryptographicUsageMask(default_mask));
    }
    let key = keyward_crypto::random_key(bytes).map_err(|e| OpError::CryptographicFailure(e.to_string()))?;
    Ok(ManagedObject::SymmetricKey(SymmetricKey { key_block: raw_block(Bytes(key), Some(algorithm), Some(bits)) }))
}

/// 2.x Create of Secret Data: random bytes of the Cryptographic Length (256 bits by default).
fn secret_data(attributes: &[Attribute]) -> OpResult<ManagedObject> {
    let bits =
        find_in(attributes, |a| if let Attribute::CryptographicLength(x) = a { Some(*x) } else { None }).unwrap_or(256);
    let bytes = usize::try_from(bits).ok().filter(|b| *b > 0 && b % 8 == 0 && *b <= 65_536).map(|b| b / 8);
    let bytes = bytes
        .ok_or_else(|| OpError::InvalidField("the length of Secret Data must be a whole number of bytes".into()))?;
    let secret = keyward_crypto::random_key(bytes).map_err(|e| OpError::CryptographicFailure(e.to_string()))?;
    Ok(ManagedObject::SecretData(SecretData {
        secret_data_type: SecretDataType::Seed,
        key_block: raw_block(Bytes(secret), None, None),
    }))
}

fn raw_block(material: Bytes, algorithm: Option<CryptographicAlgorithm>, bits: Option<i32>) -> KeyBlock {
    KeyBlock {
        key_format_type: KeyFormatType::Raw,
        key_compression_type: None,
        key_value: Some(KeyValue::Plain { key_material: KeyMaterial::Bytes(material), attributes: Vec::new() }),
        cryptographic_algorithm: algorithm,
        cryptographic_length: bits,
        key_wrapping_data: None,
    }
}

fn find_in<T>(attributes: &[Attribute], select: impl Fn(&Attribute) -> Option<T>) -> Option<T> {
    attributes.iter().find_map(select)
}
