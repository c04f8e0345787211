//! Why a message could not be turned into the typed model.
//!
//! These errors say what is wrong and where (the byte offset of the item in the message). The
//! dispatcher maps each kind to a KMIP Result Reason in one place (`keyward-core`'s error module).

use keyward_ttlv::{DecodeError, ItemType, Tag};

/// A message, or one item of it, that does not fit the KMIP model.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// The TTLV itself is malformed.
    #[error(transparent)]
    Ttlv(#[from] DecodeError),
    #[error("{parent} lacks the required field {field} (at byte {offset})")]
    MissingField { parent: Tag, field: Tag, offset: usize },
    /// A payload that carries a managed object (Register, Import, Put...) without one, and
    /// without an Object Type to say which tag it should have come under.
    #[error(
        "{parent} lacks the managed object (Symmetric Key, Private Key, Certificate...) it carries (at byte {offset})"
    )]
    MissingObject { parent: Tag, offset: usize },
    #[error("{parent} does not have a field {field} (at byte {offset})")]
    UnexpectedField { parent: Tag, field: Tag, offset: usize },
    #[error("{field} appears twice in {parent} (at byte {offset})")]
    DuplicateField { parent: Tag, field: Tag, offset: usize },
    #[error("{tag} must be a {expected}, not a {found} (at byte {offset})")]
    WrongType { tag: Tag, expected: ItemType, found: ItemType, offset: usize },
    #[error("{tag} has an invalid value: {reason} (at byte {offset})")]
    InvalidValue { tag: Tag, reason: String, offset: usize },
    /// A 1.x Attribute Name, or a 2.x attribute tag, that names no attribute we know.
    #[error("unknown attribute {0:?}")]
    UnknownAttribute(String),
    /// The operation code is one KMIP does not define.
    #[error("unknown operation 0x{0:08X}")]
    UnknownOperation(u32),
}

impl ModelError {
    pub fn invalid(tag: Tag, offset: usize, reason: impl Into<String>) -> ModelError {
        ModelError::InvalidValue { tag, reason: reason.into(), offset }
    }
}

pub type ModelResult<T> = Result<T, ModelError>;
