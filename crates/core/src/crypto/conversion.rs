//! A key in another Key Format Type than the one it is stored in (Get, Export): raw and
//! transparent symmetric keys, raw and opaque secret data, PKCS#1 / PKCS#8 / SEC1 / transparent
//! private keys, PKCS#1 / X.509 / transparent public keys. A conversion the key does not have (an
//! EC key as PKCS#1, a symmetric key as PKCS#8) is Key Format Type Not Supported.

use keyward_kmip::enums::KeyFormatType;
use keyward_kmip::objects::{KeyBlock, KeyMaterial, KeyValue, ManagedObject};

use super::material::{
    private_key_material, private_key_pkcs8, public_key_material, public_key_spki, symmetric_key,
    symmetric_key_material,
};
use crate::error::{OpError, OpResult};

/// The object with its key material in `format`.
pub fn convert(object: &ManagedObject, format: KeyFormatType) -> OpResult<ManagedObject> {
    let Some(block) = object.key_block() else {
        return Err(OpError::KeyFormatTypeNotSupported(format!("a {:?} has no key to format", object.object_type())));
    };
    if block.key_format_type == format {
        return Ok(object.clone());
    }
    let material = match object {
        ManagedObject::SymmetricKey(_) => symmetric_key_material(&symmetric_key(object)?, format)?,
        // Secret Data is bytes whatever the format says; Raw is its default format (2.1 Table 81),
        // which a server "SHALL" produce, and 1.x clients register it as Opaque.
        ManagedObject::SecretData(_) if matches!(format, KeyFormatType::Raw | KeyFormatType::Opaque) => {
            symmetric_key_material(&symmetric_key(object)?, format)?
        }
        ManagedObject::PrivateKey(_) => private_key_material(&private_key_pkcs8(object)?, format)?,
        ManagedObject::PublicKey(_) => public_key_material(&public_key_spki(object)?, format)?,
        other => {
            return Err(OpError::KeyFormatTypeNotSupported(format!(
                "a {:?} is returned in its own format only",
                other.object_type()
            )));
        }
    };
    let mut converted = object.clone();
    if let Some(block) = converted.key_block_mut() {
        *block = formatted(block, material, format);
    }
    Ok(converted)
}

fn formatted(block: &KeyBlock, key_material: KeyMaterial, format: KeyFormatType) -> KeyBlock {
    let attributes = match &block.key_value {
        Some(KeyValue::Plain { attributes, .. }) => attributes.clone(),
        _ => Vec::new(),
    };
    KeyBlock {
        key_format_type: format,
        key_compression_type: None,
        key_value: Some(KeyValue::Plain { key_material, attributes }),
        cryptographic_algorithm: block.cryptographic_algorithm,
        cryptographic_length: block.cryptographic_length,
        key_wrapping_data: None,
    }
}
