//! Key material that cannot be a key of the type it is registered as is refused, rather than
//! stored and failing later in every operation that uses it: a Key Format Type of another kind of
//! key (a Transparent Symmetric Key given as a Public Key), a Transparent key with a number that
//! cannot be one of its values (an RSA modulus of zero), a key of no bytes at all.
//!
//! Both are Invalid Field: "Object Type does not match type of cryptographic object provided"
//! and "Incorrect attribute value(s) specified" (1.4 Table 330, Register); 2.1 lists Invalid
//! Field for Register too (§6.1.43.1).

use keyward_kmip::enums::{KeyFormatType, ObjectType};
use keyward_kmip::objects::{KeyMaterial, KeyValue, ManagedObject};
use keyward_ttlv::Value;

use crate::error::{OpError, OpResult};

/// Formats only a private key can have.
const PRIVATE_FORMATS: &[KeyFormatType] = &[
    KeyFormatType::PKCS_8,
    KeyFormatType::ECPrivateKey,
    KeyFormatType::TransparentDSAPrivateKey,
    KeyFormatType::TransparentRSAPrivateKey,
    KeyFormatType::TransparentDHPrivateKey,
    KeyFormatType::TransparentECPrivateKey,
    KeyFormatType::TransparentECDSAPrivateKey,
    KeyFormatType::TransparentECDHPrivateKey,
    KeyFormatType::TransparentECMQVPrivateKey,
];

/// Formats only a public key can have (X.509 here is a SubjectPublicKeyInfo).
const PUBLIC_FORMATS: &[KeyFormatType] = &[
    KeyFormatType::X_509,
    KeyFormatType::TransparentDSAPublicKey,
    KeyFormatType::TransparentRSAPublicKey,
    KeyFormatType::TransparentDHPublicKey,
    KeyFormatType::TransparentECPublicKey,
    KeyFormatType::TransparentECDSAPublicKey,
    KeyFormatType::TransparentECDHPublicKey,
    KeyFormatType::TransparentECMQVPublicKey,
];

/// The object type a format belongs to, when it belongs to one only.
fn only_type_of(format: KeyFormatType) -> Option<ObjectType> {
    if format == KeyFormatType::TransparentSymmetricKey {
        Some(ObjectType::SymmetricKey)
    } else if PRIVATE_FORMATS.contains(&format) {
        Some(ObjectType::PrivateKey)
    } else if PUBLIC_FORMATS.contains(&format) {
        Some(ObjectType::PublicKey)
    } else {
        None
    }
}

/// Refuses key material that cannot be a key of the object's type. Wrapped material is checked
/// once unwrapped (the caller unwraps first); objects without a Key Block pass.
pub(super) fn check(object: &ManagedObject) -> OpResult<()> {
    let Some(block) = object.key_block() else { return Ok(()) };
    let object_type = object.object_type();
    let format = block.key_format_type;
    if only_type_of(format).is_some_and(|owner| owner != object_type) {
        return Err(OpError::InvalidField(format!("a {object_type:?} cannot be in the {format:?} format")));
    }
    let Some(KeyValue::Plain { key_material, .. }) = &block.key_value else { return Ok(()) };
    match key_material {
        KeyMaterial::Bytes(bytes) if bytes.as_slice().is_empty() => {
            Err(OpError::InvalidField("the Key Material is empty".into()))
        }
        KeyMaterial::Bytes(_) => Ok(()),
        KeyMaterial::Structure(fields) => {
            for field in fields {
                match &field.value {
                    // Every number of a Transparent key (a modulus, an exponent, a prime, a
                    // private value) is positive.
                    Value::BigInteger(twos_complement) if !is_positive(twos_complement) => {
                        return Err(OpError::InvalidField(format!("{:?} must be greater than zero", field.tag)));
                    }
                    Value::ByteString(bytes) if bytes.is_empty() => {
                        return Err(OpError::InvalidField(format!("{:?} is empty", field.tag)));
                    }
                    _ => {}
                }
            }
            Ok(())
        }
    }
}

/// Whether a big-endian two's complement number is above zero.
fn is_positive(twos_complement: &[u8]) -> bool {
    match twos_complement.first() {
        Some(first) if first & 0x80 != 0 => false,
        _ => twos_complement.iter().any(|byte| *byte != 0),
    }
}

#[cfg(test)]
mod tests {
    use keyward_kmip::Bytes;
    use keyward_kmip::objects::{KeyBlock, PublicKey, SymmetricKey};
    use keyward_ttlv::{Item, Tag};
    use zeroize::Zeroizing;

    use super::*;

    fn block(format: KeyFormatType, key_material: KeyMaterial) -> KeyBlock {
        KeyBlock {
            key_format_type: format,
            key_compression_type: None,
            key_value: Some(KeyValue::Plain { key_material, attributes: Vec::new() }),
            cryptographic_algorithm: None,
            cryptographic_length: None,
            key_wrapping_data: None,
        }
    }

    fn rsa_public(modulus: &[u8]) -> ManagedObject {
        let fields = vec![
            Item { tag: Tag::Modulus, value: Value::BigInteger(Zeroizing::new(modulus.to_vec())) },
            Item { tag: Tag::PublicExponent, value: Value::BigInteger(Zeroizing::new(vec![1, 0, 1])) },
        ];
        let key_block = block(KeyFormatType::TransparentRSAPublicKey, KeyMaterial::Structure(fields));
        ManagedObject::PublicKey(PublicKey { key_block })
    }

    #[test]
    fn a_zero_or_negative_modulus_is_refused() {
        assert!(check(&rsa_public(&[0x00, 0xC3, 0x01])).is_ok());
        assert!(matches!(check(&rsa_public(&[0, 0, 0, 0])), Err(OpError::InvalidField(_))));
        assert!(matches!(check(&rsa_public(&[0x80, 0x01])), Err(OpError::InvalidField(_))));
        assert!(matches!(check(&rsa_public(&[])), Err(OpError::InvalidField(_))));
    }

    #[test]
    fn a_format_of_another_kind_of_key_is_refused() {
        let fields = vec![Item { tag: Tag::Key, value: Value::ByteString(Zeroizing::new(vec![7; 32])) }];
        let symmetric = block(KeyFormatType::TransparentSymmetricKey, KeyMaterial::Structure(fields));
        let as_public = ManagedObject::PublicKey(PublicKey { key_block: symmetric.clone() });
        assert!(matches!(check(&as_public), Err(OpError::InvalidField(_))));
        assert!(check(&ManagedObject::SymmetricKey(SymmetricKey { key_block: symmetric })).is_ok());
        let raw = block(KeyFormatType::Raw, KeyMaterial::Bytes(Bytes::new(Vec::new())));
        assert!(matches!(
            check(&ManagedObject::SymmetricKey(SymmetricKey { key_block: raw })),
            Err(OpError::InvalidField(_))
        ));
    }
}
