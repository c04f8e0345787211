//! Create Split Key (2.1 §6.1.10, 1.4 §4.38): a new key, or an existing one, split into Split Key
//! objects by XOR or by polynomial sharing (see `crypto::splitting`). Every part gets the
//! request's attributes, except its Names: names are unique, so they go to part 1, the part the ID
//! Placeholder designates.

use keyward_kmip::Bytes;
use keyward_kmip::attributes::Attribute;
use keyward_kmip::enums::{CryptographicAlgorithm, KeyFormatType, ObjectType, UniqueIdentifier};
use keyward_kmip::objects::{KeyBlock, KeyMaterial, KeyValue, ManagedObject, SplitKey};
use keyward_kmip::payloads::create_split_key::{CreateSplitKeyRequest, CreateSplitKeyResponse, ObjectTypeFor1_2};
use zeroize::Zeroizing;

use crate::context::Context;
use crate::creation::{expand_templates, new_object};
use crate::crypto::material::symmetric_key;
use crate::crypto::splitting;
use crate::error::{OpError, OpResult};
use crate::ops::readable;

pub(crate) fn run(cx: &mut Context<'_>, request: &CreateSplitKeyRequest) -> OpResult<CreateSplitKeyResponse> {
    if request.object_type != ObjectType::SplitKey {
        return Err(OpError::InvalidField(format!(
            "Create Split Key makes Split Keys, not a {:?}",
            request.object_type
        )));
    }
    let plan = splitting::plan(
        request.split_key_method,
        request.split_key_parts,
        request.split_key_threshold,
        request.prime_field_size.as_ref(),
    )?;
    let attributes = expand_templates(cx, &request.attributes)?;
    let key = key_to_split(cx, request, &attributes)?;
    let prime_field_size = plan.prime_field_size(request.prime_field_size.as_ref());
    let length = plan.recorded_length(key.value.len(), key.length);
    let parts = splitting::split(&plan, &key.value, key.algorithm, length)?;
    let mut uids = Vec::with_capacity(parts.len());
    for (index, part) in parts.into_iter().enumerate() {
        let identifier = i32::try_from(index + 1).unwrap_or(i32::MAX);
        let object = ManagedObject::SplitKey(SplitKey {
            split_key_parts: request.split_key_parts,
            key_part_identifier: identifier,
            split_key_threshold: request.split_key_threshold,
            split_key_method: request.split_key_method,
            prime_field_size: prime_field_size.clone(),
            key_block: KeyBlock {
                key_format_type: KeyFormatType::Raw,
                key_compression_type: None,
                key_value: Some(KeyValue::Plain {
                    key_material: KeyMaterial::Bytes(Bytes(part)),
                    attributes: Vec::new(),
                }),
                cryptographic_algorithm: key.algorithm,
                cryptographic_length: length,
                key_wrapping_data: None,
            },
        });
        let own: Vec<Attribute> =
            attributes.iter().filter(|a| identifier == 1 || !matches!(a, Attribute::Name(_))).cloned().collect();
        let stored = new_object(cx, Some(object), ObjectType::SplitKey, own, true)?;
        uids.push(stored.unique_identifier.clone());
        cx.insert(stored);
    }
    cx.set_placeholder(uids.first().cloned());
    if let Some(first) = uids.first() {
        cx.record_result(UniqueIdentifier::CreateSplitKey, first);
    }
    cx.record_returned(uids.iter());
    Ok(CreateSplitKeyResponse {
        object_type: Some(ObjectTypeFor1_2(ObjectType::SplitKey)),
        unique_identifier: uids,
        attributes: None,
    })
}

/// The key that is split, and what its parts record of it.
struct KeyToSplit {
    value: Zeroizing<Vec<u8>>,
    algorithm: Option<CryptographicAlgorithm>,
    length: Option<i32>,
}

/// The key named by the request (whose algorithm and length take precedence, 2.1 §6.1.10), or a
/// new random one of the algorithm and length of the attributes.
fn key_to_split(cx: &Context<'_>, request: &CreateSplitKeyRequest, attributes: &[Attribute]) -> OpResult<KeyToSplit> {
    if let Some(reference) = &request.unique_identifier {
        let stored = cx.load_ref(Some(reference))?;
        let object = readable(&stored)?;
        let block = object.key_block().ok_or_else(|| OpError::IllegalOperation("only keys are split".into()))?;
        return Ok(KeyToSplit {
            value: symmetric_key(object)?,
            algorithm: block.cryptographic_algorithm,
            length: block.cryptographic_length,
        });
    }
    let algorithm =
        attributes.iter().find_map(|a| if let Attribute::CryptographicAlgorithm(x) = a { Some(*x) } else { None });
    let bits = attributes
        .iter()
        .find_map(|a| if let Attribute::CryptographicLength(x) = a { Some(*x) } else { None })
        .ok_or_else(|| OpError::MissingData("the Cryptographic Length of the key to split".into()))?;
    let bytes = usize::try_from(bits)
        .ok()
        .filter(|b| *b > 0 && b % 8 == 0 && *b <= 8192)
        .map(|b| b / 8)
        .ok_or_else(|| OpError::InvalidField("a key of a whole number of bytes".into()))?;
    let value = keyward_crypto::random_key(bytes).map_err(|e| OpError::CryptographicFailure(e.to_string()))?;
    Ok(KeyToSplit { value, algorithm, length: Some(bits) })
}
