//! Register of a private key in Key Format Type PKCS#12 (1.4 §3.45 and Table 330; 2.0 and 2.1
//! §4.39): the Key Material is an RFC 7292 container, opened with the password of the Secret Data
//! the request's PKCS#12 Password Link names; the private key is the one of the PKCS#12 Friendly
//! Name given, or the first, whose friendly name the server then records.
//!
//! The key is stored as PKCS#8, the format a container carries it in, and the Password Link stays
//! with it, so a Get in PKCS#12 gives the container back. The specification defines no object for
//! the certificates a container also holds; they are not thrown away: each becomes a Certificate
//! object of the same owner, linked to its issuer by a Certificate Link (as Get follows a chain),
//! and the private key names the base certificate with a PKCS#12 Certificate Link. The response
//! names the private key only.

use keyward_crypto::formats::{self, Pkcs12Contents, PrivateKeyFormat};
use keyward_kmip::Bytes;
use keyward_kmip::attributes::Attribute;
use keyward_kmip::enums::{CertificateType, KeyFormatType, LinkType, ObjectType};
use keyward_kmip::objects::{Certificate, KeyBlock, KeyMaterial, KeyValue, ManagedObject, PrivateKey};
use keyward_store::StoredObject;

use super::{add_derived, derived_attributes};
use crate::context::Context;
use crate::creation::{add_link, new_object};
use crate::crypto::failure;
use crate::crypto::material::algorithm_to_kmip;
use crate::error::{OpError, OpResult};

/// The private key of the container `object` holds, as PKCS#8; records the friendly name found
/// when the client named none.
pub(super) fn private_key(
    cx: &Context<'_>,
    object: &ManagedObject,
    attributes: &mut Vec<Attribute>,
) -> OpResult<(ManagedObject, Pkcs12Contents)> {
    let block = object.key_block().ok_or_else(|| OpError::InvalidField("a private key has a Key Block".into()))?;
    if block.key_wrapping_data.is_some() {
        return Err(OpError::FeatureNotSupported("a wrapped PKCS#12 container".into()));
    }
    let container = match &block.key_value {
        Some(KeyValue::Plain { key_material: KeyMaterial::Bytes(bytes), .. }) => bytes.as_slice(),
        _ => return Err(OpError::InvalidField("a PKCS#12 Key Material is a Byte String".into())),
    };
    let contents = crate::crypto::pkcs12::open(cx, container, attributes)?;
    let info = formats::describe_private_key(&contents.private_key, PrivateKeyFormat::Pkcs8).map_err(failure)?;
    let named = attributes.iter().any(|a| matches!(a, Attribute::PKCS_12FriendlyName(_)));
    if !named && let Some(name) = &contents.friendly_name {
        attributes.push(Attribute::PKCS_12FriendlyName(name.clone()));
    }
    let key = ManagedObject::PrivateKey(PrivateKey {
        key_block: KeyBlock {
            key_format_type: KeyFormatType::PKCS_8,
            key_compression_type: None,
            key_value: Some(KeyValue::Plain {
                key_material: KeyMaterial::Bytes(Bytes::new(contents.private_key.to_vec())),
                attributes: Vec::new(),
            }),
            cryptographic_algorithm: Some(algorithm_to_kmip(info.algorithm)),
            cryptographic_length: i32::try_from(info.bits).ok(),
            key_wrapping_data: None,
        },
    });
    Ok((key, contents))
}

/// Stores the container's certificates (base certificate first in `chain`) and links the
/// private key to the base one.
pub(super) fn register_chain(cx: &mut Context<'_>, private: &mut StoredObject, chain: &[Vec<u8>]) -> OpResult<()> {
    let mut issuer: Option<String> = None;
    // From the top of the chain down, so that each certificate can link to its issuer.
    for der in chain.iter().rev() {
        let object = ManagedObject::Certificate(Certificate {
            certificate_type: CertificateType::X_509,
            certificate_value: Bytes::new(der.clone()),
        });
        let derived = derived_attributes(&object, cx.version)?;
        let mut stored = new_object(cx, Some(object), ObjectType::Certificate, Vec::new(), false)?;
        add_derived(&mut stored, derived);
        if let Some(parent) = &issuer {
            add_link(&mut stored, LinkType::CertificateLink, parent);
        }
        issuer = Some(stored.unique_identifier.clone());
        cx.insert(stored);
    }
    if let Some(base) = issuer {
        add_link(private, LinkType::PKCS_12CertificateLink, &base);
    }
    Ok(())
}
