//! The managed object of Register, Get, Import, Export and Put: an item under the object's own
//! tag (Symmetric Key, Certificate...), which the hand-written codecs of those payloads read with
//! `ManagedObject::is_object_tag`.

use keyward_ttlv::enums::ObjectType;
use keyward_ttlv::{ItemRef, Tag};

use crate::error::ModelError;

/// The error for a payload without its object, naming the tag the Object Type calls for. Without
/// an Object Type (a 1.4 Import has none) it is the object that is missing, not the Object Type:
/// saying "lacks Object Type" sent clients looking for the wrong field.
pub(crate) fn missing_object(parent: ItemRef<'_>, object_type: Option<ObjectType>) -> ModelError {
    match object_type.and_then(object_tag) {
        Some(field) => ModelError::MissingField { parent: parent.tag(), field, offset: parent.offset() },
        None => ModelError::MissingObject { parent: parent.tag(), offset: parent.offset() },
    }
}

/// The tag that carries an object of this type.
fn object_tag(object_type: ObjectType) -> Option<Tag> {
    Some(match object_type {
        ObjectType::Certificate => Tag::Certificate,
        ObjectType::SymmetricKey => Tag::SymmetricKey,
        ObjectType::PublicKey => Tag::PublicKey,
        ObjectType::PrivateKey => Tag::PrivateKey,
        ObjectType::SplitKey => Tag::SplitKey,
        ObjectType::Template => Tag::Template,
        ObjectType::SecretData => Tag::SecretData,
        ObjectType::OpaqueObject => Tag::OpaqueObject,
        ObjectType::PGPKey => Tag::PGPKey,
        ObjectType::CertificateRequest => Tag::CertificateRequest,
        _ => return None,
    })
}
