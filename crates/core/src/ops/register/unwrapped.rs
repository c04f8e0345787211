//! The attributes a wrapped key brings with it. With TTLV Encoding the wrapped Key Value holds,
//! beside the Key Material, the attributes its wrapper named in the Key Wrapping Specification
//! (1.4 §2.1.5 and §2.1.6, 2.1 §2.1.4): "This attribute information differs from the attributes
//! associated with Managed Objects, and is obtained via the Get Attributes operation, only by the
//! fact that it is encapsulated with (and possibly wrapped with) the key material itself" (1.4
//! §2.1.4). A key registered wrapped so takes them as its own attributes, where the client may set
//! them (the server's own, such as State or Unique Identifier, describe the object on the server
//! that wrapped it) and the request's Template-Attribute or Attributes does not already say
//! otherwise; the stored Key Value then holds the material alone.

use keyward_kmip::attributes::Attribute;
use keyward_kmip::objects::{KeyValue, ManagedObject};

/// Moves the attributes of the unwrapped Key Value of `object` to `attributes`.
pub(super) fn adopt_carried(object: &mut ManagedObject, attributes: &mut Vec<Attribute>) {
    let Some(block) = object.key_block_mut() else { return };
    let Some(KeyValue::Plain { attributes: carried, .. }) = &mut block.key_value else { return };
    for attribute in std::mem::take(carried) {
        let rules = attribute.rules();
        if !rules.client_sets {
            continue;
        }
        let reference = attribute.reference();
        let stated = attributes.iter().any(|a| if rules.multiple { *a == attribute } else { reference.matches(a) });
        if !stated {
            attributes.push(attribute);
        }
    }
}

#[cfg(test)]
mod tests {
    use keyward_kmip::Bytes;
    use keyward_kmip::attributes::Name;
    use keyward_kmip::enums::{KeyFormatType, NameType, State};
    use keyward_kmip::masks::CryptographicUsageMask;
    use keyward_kmip::objects::{KeyBlock, KeyMaterial, SymmetricKey};

    use super::*;

    fn name(value: &str) -> Attribute {
        Attribute::Name(Name { name_value: value.into(), name_type: NameType::UninterpretedTextString })
    }

    #[test]
    fn settable_attributes_are_adopted_unless_the_request_says_otherwise() {
        let carried = vec![
            Attribute::CryptographicUsageMask(CryptographicUsageMask::Encrypt),
            name("carried"),
            Attribute::State(State::Active),
            Attribute::UniqueIdentifier("elsewhere".into()),
        ];
        let mut object = ManagedObject::SymmetricKey(SymmetricKey {
            key_block: KeyBlock {
                key_format_type: KeyFormatType::Raw,
                key_compression_type: None,
                key_value: Some(KeyValue::Plain {
                    key_material: KeyMaterial::Bytes(Bytes::new(vec![1; 16])),
                    attributes: carried,
                }),
                cryptographic_algorithm: None,
                cryptographic_length: None,
                key_wrapping_data: None,
            },
        });
        let mut attributes = vec![Attribute::CryptographicUsageMask(CryptographicUsageMask::Decrypt), name("given")];
        adopt_carried(&mut object, &mut attributes);
        assert_eq!(
            attributes,
            vec![Attribute::CryptographicUsageMask(CryptographicUsageMask::Decrypt), name("given"), name("carried")]
        );
        let Some(KeyValue::Plain { attributes: left, .. }) = &object.key_block().unwrap().key_value else { panic!() };
        assert!(left.is_empty());
    }
}
