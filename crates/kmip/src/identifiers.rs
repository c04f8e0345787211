//! Unique Identifiers as requests carry them.
//!
//! A 1.x request names an object by its identifier text, or leaves the field out to mean the ID
//! Placeholder. KMIP 2.x adds two indirect forms (2.1 §4.58): an enumeration naming the result of
//! an earlier operation of the batch (the last Create, the private key of the last Create Key
//! Pair), and an integer counting identifiers returned by earlier batch items. The dispatcher
//! resolves them; this type only carries them.

use keyward_ttlv::enums::UniqueIdentifier as UniqueIdentifierKind;
use keyward_ttlv::{Encoder, ItemRef, ItemType, Tag, ValueRef};

use crate::codec::{Codec, Cx, wrong_type};
use crate::error::ModelResult;

/// A reference to a managed object.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum UniqueIdentifierRef {
    /// The identifier itself.
    Text(String),
    /// The result of an earlier operation of the batch (2.x).
    Result(UniqueIdentifierKind),
    /// The n-th identifier returned in this batch's responses; negative counts back from the
    /// current batch item (2.x).
    Index(i32),
}

impl UniqueIdentifierRef {
    /// The identifier text, when it is given directly.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            UniqueIdentifierRef::Text(text) => Some(text),
            _ => None,
        }
    }
}

impl From<String> for UniqueIdentifierRef {
    fn from(text: String) -> Self {
        UniqueIdentifierRef::Text(text)
    }
}

impl From<&str> for UniqueIdentifierRef {
    fn from(text: &str) -> Self {
        UniqueIdentifierRef::Text(text.to_string())
    }
}

impl Codec for UniqueIdentifierRef {
    fn decode(item: ItemRef<'_>, _: &Cx) -> ModelResult<Self> {
        match item.value() {
            ValueRef::TextString(text) => Ok(UniqueIdentifierRef::Text(text.to_string())),
            ValueRef::Enumeration(value) => Ok(UniqueIdentifierRef::Result(UniqueIdentifierKind(value))),
            ValueRef::Integer(index) => Ok(UniqueIdentifierRef::Index(index)),
            _ => Err(wrong_type(item, ItemType::TextString)),
        }
    }

    fn encode(&self, tag: Tag, out: &mut Encoder, _: &Cx) {
        match self {
            UniqueIdentifierRef::Text(text) => out.text(tag, text),
            UniqueIdentifierRef::Result(kind) => out.enumeration(tag, kind.0),
            UniqueIdentifierRef::Index(index) => out.integer(tag, *index),
        }
    }
}
