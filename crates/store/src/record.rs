//! The plaintext form of a stored object, before sealing: a TTLV structure in the extension tag
//! range, written with the storage codec context so that no field of any KMIP version is lost.
//!
//! ```text
//! Record (0x544B01)
//!   Unique Identifier
//!   Owner (0x544B02)
//!   <the managed object under its own tag>      absent once destroyed
//!   Stored Attribute (0x544B03)*
//!     Attribute Index
//!     <the attribute under its own tag, or a vendor Attribute structure>
//! ```

use keyward_kmip::attributes::IndexedAttribute;
use keyward_kmip::objects::ManagedObject;
use keyward_kmip::{Codec, Cx};
use keyward_ttlv::{Encoder, Limits, Tag};
use zeroize::Zeroizing;

use crate::{StoreError, StoreResult, StoredObject};

const RECORD: Tag = Tag(0x544B01);
const OWNER: Tag = Tag(0x544B02);
const STORED_ATTRIBUTE: Tag = Tag(0x544B03);

/// Encodes an object's record (the revision is kept outside, in the clear header). An attribute
/// index the record's Integer cannot hold is an error, never a saturated value.
pub fn encode(object: &StoredObject) -> StoreResult<Zeroizing<Vec<u8>>> {
    let cx = Cx::storage();
    let mut out = Encoder::with_capacity(512);
    let open = out.begin(RECORD);
    out.text(Tag::UniqueIdentifier, &object.unique_identifier);
    out.text(OWNER, &object.owner);
    if let Some(managed) = &object.object {
        managed.encode(managed.tag(), &mut out, &cx);
    }
    for attribute in &object.attributes {
        let inner = out.begin(STORED_ATTRIBUTE);
        let index = i32::try_from(attribute.index).map_err(|_| {
            StoreError::LimitExceeded(format!(
                "attribute index {} of object {}",
                attribute.index, object.unique_identifier
            ))
        })?;
        out.integer(Tag::AttributeIndex, index);
        attribute.encode_for(Tag::Attribute, &mut out, &cx);
        out.end(inner);
    }
    out.end(open);
    Ok(Zeroizing::new(out.into_bytes()))
}

/// Decodes a record made by [`encode`].
pub fn decode(bytes: &[u8], revision: u64) -> StoreResult<StoredObject> {
    let corrupt = |what: String| StoreError::Corrupt(what);
    let limits = Limits { max_message_size: usize::MAX, ..Limits::default() };
    let root = keyward_ttlv::decode(bytes, &limits).map_err(|e| corrupt(e.to_string()))?;
    if root.tag() != RECORD {
        return Err(corrupt("not a record".into()));
    }
    let cx = Cx::storage();
    let mut unique_identifier = None;
    let mut owner = None;
    let mut object = None;
    let mut attributes = Vec::new();
    for child in root.children() {
        match child.tag() {
            Tag::UniqueIdentifier => unique_identifier = child.as_text().map(str::to_owned),
            OWNER => owner = child.as_text().map(str::to_owned),
            STORED_ATTRIBUTE => {
                let index = match child.child(Tag::AttributeIndex) {
                    Some(index) => {
                        index.as_integer().ok_or_else(|| corrupt("an attribute index that is not an Integer".into()))?
                    }
                    None => 0,
                };
                let value = child
                    .children()
                    .find(|c| c.tag() != Tag::AttributeIndex)
                    .ok_or_else(|| corrupt("an attribute without a value".into()))?;
                let mut attribute = IndexedAttribute::decode(value, &cx).map_err(|e| corrupt(e.to_string()))?;
                attribute.index =
                    u32::try_from(index).map_err(|_| corrupt(format!("a negative attribute index {index}")))?;
                attributes.push(attribute);
            }
            tag if ManagedObject::is_object_tag(tag) => {
                object = Some(ManagedObject::decode(child, &cx).map_err(|e| corrupt(e.to_string()))?);
            }
            other => return Err(corrupt(format!("unexpected {other} in a record"))),
        }
    }
    Ok(StoredObject {
        unique_identifier: unique_identifier.ok_or_else(|| corrupt("a record without an identifier".into()))?,
        owner: owner.ok_or_else(|| corrupt("a record without an owner".into()))?,
        object,
        attributes,
        revision,
    })
}
