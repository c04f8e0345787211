//! Join Split Key (2.1 §6.1.27, 1.4 §4.39): the key that Split Key parts make together, by XOR or
//! by polynomial sharing from any threshold of them (see `crypto::splitting`), as a Symmetric Key
//! (of the parts' algorithm and length) or Secret Data.

use keyward_kmip::Bytes;
use keyward_kmip::attributes::Attribute;
use keyward_kmip::enums::{KeyFormatType, ObjectType, SecretDataType, UniqueIdentifier};
use keyward_kmip::masks::CryptographicUsageMask;
use keyward_kmip::objects::{KeyBlock, KeyMaterial, KeyValue, ManagedObject, SecretData, SplitKey, SymmetricKey};
use keyward_kmip::payloads::create_split_key::ObjectTypeFor1_2;
use keyward_kmip::payloads::join_split_key::{JoinSplitKeyRequest, JoinSplitKeyResponse};

use crate::context::Context;
use crate::creation::{expand_templates, new_object};
use crate::crypto::material::symmetric_key;
use crate::crypto::splitting;
use crate::error::{OpError, OpResult};
use crate::ops::readable;

pub(crate) fn run(cx: &mut Context<'_>, request: &JoinSplitKeyRequest) -> OpResult<JoinSplitKeyResponse> {
    let mut parts: Vec<SplitKey> = Vec::with_capacity(request.unique_identifier.len());
    for reference in &request.unique_identifier {
        let stored = cx.load_ref(Some(reference))?;
        match readable(&stored)? {
            ManagedObject::SplitKey(part) => parts.push(part.clone()),
            other => {
                return Err(OpError::IllegalOperation(format!("a {:?} is not a split key part", other.object_type())));
            }
        }
    }
    let values =
        parts.iter().map(|p| symmetric_key(&ManagedObject::SplitKey(p.clone()))).collect::<OpResult<Vec<_>>>()?;
    let key = splitting::join(&parts, &values)?;
    let first = parts.first().ok_or_else(|| OpError::MissingData("the parts to join".into()))?;
    let algorithm = first.key_block.cryptographic_algorithm;
    let length = first.key_block.cryptographic_length;
    let mut attributes = match &request.attributes {
        Some(attributes) => expand_templates(cx, attributes)?,
        None => Vec::new(),
    };
    let object = match request.object_type {
        ObjectType::SymmetricKey => {
            if !attributes.iter().any(|a| matches!(a, Attribute::CryptographicUsageMask(_))) {
                attributes.push(Attribute::CryptographicUsageMask(
                    CryptographicUsageMask::Encrypt | CryptographicUsageMask::Decrypt,
                ));
            }
            ManagedObject::SymmetricKey(SymmetricKey { key_block: raw_block(key, algorithm, length) })
        }
        ObjectType::SecretData => ManagedObject::SecretData(SecretData {
            secret_data_type: request.secret_data_type.unwrap_or(SecretDataType::Seed),
            key_block: raw_block(key, None, None),
        }),
        other => return Err(OpError::InvalidField(format!("parts join into a key or a secret, not a {other:?}"))),
    };
    let stored = new_object(cx, Some(object), request.object_type, attributes, false)?;
    let uid = stored.unique_identifier.clone();
    cx.insert(stored);
    cx.set_placeholder(Some(uid.clone()));
    cx.record_result(UniqueIdentifier::JoinSplitKey, &uid);
    cx.record_returned([&uid]);
    Ok(JoinSplitKeyResponse {
        object_type: Some(ObjectTypeFor1_2(request.object_type)),
        unique_identifier: uid,
        attributes: None,
    })
}

fn raw_block(
    key: zeroize::Zeroizing<Vec<u8>>,
    algorithm: Option<keyward_kmip::enums::CryptographicAlgorithm>,
    length: Option<i32>,
) -> KeyBlock {
    KeyBlock {
        key_format_type: KeyFormatType::Raw,
        key_compression_type: None,
        key_value: Some(KeyValue::Plain { key_material: KeyMaterial::Bytes(Bytes(key)), attributes: Vec::new() }),
        cryptographic_algorithm: algorithm,
        cryptographic_length: length,
        key_wrapping_data: None,
    }
}
