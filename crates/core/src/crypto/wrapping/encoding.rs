//! What is wrapped: the Key Value structure in TTLV (the default of 2.1 §7.18), with the
//! attributes the specification names, or the bare key material (No Encoding); and back.
//!
//! "If wrapping is used, then the whole Key Value structure is wrapped" and "the Key Value Byte
//! String is either the wrapped TTLV-encoded Key Value structure, or the wrapped un-encoded value
//! of the Byte String Key Material field" (1.1 to 1.4 §2.1.4 and §2.1.5; 2.1 §2.1.4): with TTLV
//! Encoding the bytes wrapped are those of a Key Value structure (tag 420045) holding the Key
//! Material and, in 1.x, one Attribute structure per attribute named in the Key Wrapping
//! Specification (Attribute Name, the Attribute Index when it is not 0, Attribute Value; 1.4
//! Table 8 and §2.1.1), in 2.x one Attributes structure holding them (2.1 Table 8).

use keyward_kmip::attributes::IndexedAttribute;
use keyward_kmip::codec::Codec;
use keyward_kmip::enums::EncodingOption;
use keyward_kmip::objects::{KeyBlock, KeyMaterial, KeyValue};
use keyward_kmip::{Bytes, Cx};
use keyward_ttlv::{Encoder, KmipVersion, Limits, Tag};
use zeroize::Zeroizing;

use crate::error::{OpError, OpResult};

/// The plain Key Material of a key block that is to be wrapped.
pub(super) fn plain_material(block: &KeyBlock) -> OpResult<&KeyMaterial> {
    match &block.key_value {
        Some(KeyValue::Plain { key_material, .. }) => Ok(key_material),
        Some(KeyValue::Wrapped(_)) => Err(OpError::InvalidField("the key is wrapped already".into())),
        None => Err(OpError::KeyValueNotPresent("the object".into())),
    }
}

/// The bytes that are wrapped: the Key Value structure in TTLV, or the bare key material.
pub(super) fn encode(
    material: &KeyMaterial,
    attributes: &[IndexedAttribute],
    encoding: EncodingOption,
    version: KmipVersion,
) -> OpResult<Zeroizing<Vec<u8>>> {
    match encoding {
        EncodingOption::NoEncoding => match material {
            KeyMaterial::Bytes(bytes) => Ok(bytes.0.clone()),
            KeyMaterial::Structure(_) => {
                Err(OpError::EncodingOption("a transparent key has no bytes to wrap without encoding".into()))
            }
        },
        EncodingOption::TTLVEncoding => {
            let cx = Cx::new(version);
            let mut out = Encoder::new();
            let open = out.begin(Tag::KeyValue);
            material.encode(Tag::KeyMaterial, &mut out, &cx);
            // 1.x carries Attribute structures in the Key Value; 2.x one Attributes structure.
            let inner = (!attributes.is_empty() && !cx.is_1x()).then(|| out.begin(Tag::Attributes));
            for attribute in attributes {
                attribute.encode_for(Tag::Attribute, &mut out, &cx);
            }
            if let Some(inner) = inner {
                out.end(inner);
            }
            out.end(open);
            Ok(Zeroizing::new(out.into_bytes()))
        }
        other => Err(OpError::EncodingOption(format!("{other:?}"))),
    }
}

/// The Key Value of unwrapped bytes.
pub(super) fn decode(plain: &[u8], encoding: EncodingOption, version: KmipVersion) -> OpResult<KeyValue> {
    match encoding {
        EncodingOption::NoEncoding => {
            Ok(KeyValue::Plain { key_material: KeyMaterial::Bytes(Bytes::new(plain.to_vec())), attributes: Vec::new() })
        }
        EncodingOption::TTLVEncoding => {
            let unreadable =
                |e: &dyn std::fmt::Display| OpError::EncodingOption(format!("the unwrapped Key Value: {e}"));
            let root = keyward_ttlv::decode(plain, &Limits::default()).map_err(|e| unreadable(&e))?;
            if root.tag() != Tag::KeyValue {
                return Err(OpError::EncodingOption("the unwrapped bytes are not a Key Value".into()));
            }
            match KeyValue::decode(root, &Cx::new(version)).map_err(|e| unreadable(&e))? {
                plain @ KeyValue::Plain { .. } => Ok(plain),
                KeyValue::Wrapped(_) => Err(OpError::EncodingOption("the unwrapped Key Value is wrapped again".into())),
            }
        }
        other => Err(OpError::EncodingOption(format!("{other:?}"))),
    }
}
