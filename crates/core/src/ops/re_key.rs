//! Re-key (2.1 §6.1.46, 1.4 §4.4): a new symmetric key, of the same algorithm and length, that
//! replaces an existing one, takes over its names and most of its attributes (see
//! `replacement`), and is linked to it both ways.

use keyward_kmip::Bytes;
use keyward_kmip::enums::{KeyFormatType, LinkType, ObjectType, UniqueIdentifier};
use keyward_kmip::objects::{KeyBlock, KeyMaterial, KeyValue, ManagedObject, SymmetricKey};
use keyward_kmip::payloads::re_key::{ReKeyRequest, ReKeyResponse};

use crate::algorithm_policy::allow_new_object;
use crate::attributes;
use crate::context::Context;
use crate::creation::{add_link, expand_templates, new_object};
use crate::crypto::material::symmetric_key;
use crate::error::{OpError, OpResult};
use crate::replacement::{self, Dates};

pub(crate) fn run(cx: &mut Context<'_>, request: &ReKeyRequest) -> OpResult<ReKeyResponse> {
    let existing = cx.load_ref(request.unique_identifier.as_ref())?;
    let old_key = replacement::replaced_key(&existing)?;
    let ManagedObject::SymmetricKey(SymmetricKey { key_block: old_block }) = old_key else {
        return Err(OpError::NotReKeyable(format!(
            "Re-key replaces symmetric keys, not a {:?}",
            old_key.object_type()
        )));
    };
    // The same number of random bytes as the existing key: Triple DES keys keep their 16 or 24.
    let length = symmetric_key(old_key)?.len();
    let material = keyward_crypto::random_key(length).map_err(|e| OpError::CryptographicFailure(e.to_string()))?;
    let new_key = ManagedObject::SymmetricKey(SymmetricKey {
        key_block: KeyBlock {
            key_format_type: KeyFormatType::Raw,
            key_compression_type: None,
            key_value: Some(KeyValue::Plain {
                key_material: KeyMaterial::Bytes(Bytes(material)),
                attributes: Vec::new(),
            }),
            cryptographic_algorithm: old_block.cryptographic_algorithm,
            cryptographic_length: old_block.cryptographic_length,
            key_wrapping_data: None,
        },
    });
    allow_new_object(cx, &new_key)?;
    let requested = match &request.attributes {
        Some(attributes) => expand_templates(cx, attributes)?,
        None => Vec::new(),
    };
    replacement::check_offset(request.offset, &requested, Dates::All)?;
    let inherited = replacement::inherited(&existing, request.offset, Dates::All, cx.now)?;
    let attributes = attributes::overlay(inherited, requested);

    replacement::release_names(cx, &existing);
    let mut replacing = new_object(cx, Some(new_key), ObjectType::SymmetricKey, attributes, true)?;
    // The replacement belongs to the replaced object's owner, whoever re-keys it (a grantee of
    // Re-key, a custodian, an administrator): the owner keeps its key.
    replacing.owner = existing.owner.clone();
    crate::operation_policy::carry_creator(&existing, &mut replacing);
    add_link(&mut replacing, LinkType::ReplacedObjectLink, &existing.unique_identifier);
    let uid = replacing.unique_identifier.clone();
    cx.insert(replacing);
    replacement::link_to_replacement(cx, &existing.unique_identifier, &uid)?;
    if replacement::in_rotated_set(&existing) {
        replacement::record_rotation(cx, &existing.unique_identifier, &uid)?;
    }

    cx.set_placeholder(Some(uid.clone()));
    cx.record_result(UniqueIdentifier::ReKey, &uid);
    cx.record_returned([&uid]);
    Ok(ReKeyResponse { unique_identifier: uid, attributes: None })
}
