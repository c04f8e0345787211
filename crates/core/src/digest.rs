//! The Digest attributes a new object gets (1.0 §3.17, 1.1 to 1.4 §3.17, 2.0 and 2.1 §4.21, with
//! 2.x §4.26 Key Format Type).
//!
//! Every version computes a digest "of the Key Material": over its bytes when the Key Material is
//! a Byte String (Raw, Opaque, PKCS#1, PKCS#8, ECPrivateKey, X.509), over the TTLV encoding of the
//! Key Material structure when it is one (the Transparent formats; 1.1 §3.17 says so, 1.0 only
//! says "of the Key Material", whose encoding is the TTLV one). Certificates and opaque objects are
//! digested over their value. Where the versions differ is which Key Format Types get a digest:
//!
//! - 1.x: one mandatory SHA-256 instance, "using the Key Format Type of the registered object" for
//!   registered objects and, for the others, any format the server can serve. The stored format is
//!   both: a registered key is stored in the format it came in (unwrapped), a generated one in the
//!   format the server serves it in by default.
//! - 2.x: the mandatory instance is in "the default Key Value Format for this object type and
//!   algorithm" (2.1 Table 81: Raw for symmetric keys, PKCS#1 for RSA, Transparent EC for EC keys),
//!   and §4.26 adds that the server "SHALL compute the digest on the data in the assigned Key
//!   Format Type, as well as a digest in the default KMIP Key Format Type". So an object stored in
//!   another format than its default gets two instances, the default one first.

use keyward_crypto::asymmetric::KeyAlgorithm;
use keyward_kmip::Bytes;
use keyward_kmip::attributes::Digest;
use keyward_kmip::enums::{HashingAlgorithm, KeyFormatType};
use keyward_kmip::objects::{KeyMaterial, KeyValue, ManagedObject};
use keyward_ttlv::{Item, KmipVersion, Tag};
use zeroize::Zeroizing;

use crate::crypto::{conversion, keypair};

/// The Digest instances of a new object made in a request of `version`, the mandatory one first.
/// A key the server cannot read (stored wrapped) has none: the clauses ask for a digest only
/// "provided that the server has access to the Key Material".
pub fn digests(object: &ManagedObject, version: KmipVersion) -> Vec<Digest> {
    match object {
        ManagedObject::Certificate(c) => vec![sha256(c.certificate_value.as_slice(), None)],
        ManagedObject::OpaqueObject(o) => vec![sha256(o.opaque_data_value.as_slice(), None)],
        _ => key_digests(object, version),
    }
}

fn key_digests(object: &ManagedObject, version: KmipVersion) -> Vec<Digest> {
    let Some(assigned) = object.key_block().map(|b| b.key_format_type) else { return Vec::new() };
    let Some(assigned_digest) = material_digest(object) else { return Vec::new() };
    if version.is_1x() {
        return vec![assigned_digest];
    }
    let default = default_format(object).filter(|format| *format != assigned);
    // A default the key cannot be converted to (a secret stored as Opaque) leaves the assigned one.
    let default_digest =
        default.and_then(|format| conversion::convert(object, format).ok()).and_then(|c| material_digest(&c));
    default_digest.into_iter().chain([assigned_digest]).collect()
}

/// The default Key Format Type of 2.1 Table 81 (2.0 Table 81) for the object and its algorithm;
/// none for the keys the table does not list (Ed25519, X25519).
fn default_format(object: &ManagedObject) -> Option<KeyFormatType> {
    match object {
        ManagedObject::SymmetricKey(_)
        | ManagedObject::SecretData(_)
        | ManagedObject::SplitKey(_)
        | ManagedObject::PgpKey(_) => Some(KeyFormatType::Raw),
        ManagedObject::PrivateKey(_) => match keypair::describe(object)?.algorithm {
            KeyAlgorithm::Rsa => Some(KeyFormatType::PKCS_1),
            KeyAlgorithm::Ec(_) => Some(KeyFormatType::TransparentECPrivateKey),
            KeyAlgorithm::Ed25519 | KeyAlgorithm::X25519 => None,
        },
        ManagedObject::PublicKey(_) => match keypair::describe(object)?.algorithm {
            KeyAlgorithm::Rsa => Some(KeyFormatType::PKCS_1),
            KeyAlgorithm::Ec(_) => Some(KeyFormatType::TransparentECPublicKey),
            KeyAlgorithm::Ed25519 | KeyAlgorithm::X25519 => None,
        },
        _ => None,
    }
}

/// SHA-256 of a key's material in the format its key block has: the bytes of a Byte String, the
/// TTLV encoding of a structure (tag Key Material, type Structure, its fields as they are held).
fn material_digest(object: &ManagedObject) -> Option<Digest> {
    let block = object.key_block()?;
    let Some(KeyValue::Plain { key_material, .. }) = &block.key_value else { return None };
    let format = Some(block.key_format_type);
    Some(match key_material {
        KeyMaterial::Bytes(bytes) => sha256(bytes.as_slice(), format),
        KeyMaterial::Structure(fields) => {
            let encoded = Zeroizing::new(Item::structure(Tag::KeyMaterial, fields.clone()).to_ttlv());
            sha256(&encoded, format)
        }
    })
}

fn sha256(input: &[u8], key_format_type: Option<KeyFormatType>) -> Digest {
    Digest {
        hashing_algorithm: HashingAlgorithm::SHA_256,
        digest_value: Some(Bytes::new(keyward_crypto::sha256(input).to_vec())),
        key_format_type,
    }
}
