//! Notify (2.1 §6.2.2, 1.4 §5.1): a server tells a client that attributes of an object changed or
//! were deleted. The request is the server's message; the client answers with an empty payload.

use keyward_ttlv::{Encoder, ItemRef, Tag};

use crate::attributes::{AttributeRef, IndexedAttribute};
use crate::codec::{Codec, Cx, expect_structure, field};
use crate::error::ModelResult;
use crate::kmip_struct;
use crate::payloads::attribute_fields::{encode_optional_attribute_list, read_attribute_list};

/// The changed attributes travel as Attribute structures directly in the payload in 1.x (at
/// least one, the Last Change Date), as an optional Attributes structure in 2.x.
#[derive(Clone, Debug, PartialEq)]
pub struct NotifyRequest {
    pub unique_identifier: String,
    /// The attributes that changed, with their new values.
    pub attribute: Vec<IndexedAttribute>,
    /// 2.x: the attributes that were deleted.
    pub attribute_reference: Vec<AttributeRef>,
}

impl Codec for NotifyRequest {
    fn decode(item: ItemRef<'_>, cx: &Cx) -> ModelResult<Self> {
        expect_structure(item)?;
        let mut unique_identifier = None;
        let mut attribute = Vec::new();
        let mut attribute_reference = Vec::new();
        for child in item.children() {
            match child.tag() {
                Tag::UniqueIdentifier => field::set_once(&mut unique_identifier, item.tag(), child, cx)?,
                Tag::Attribute | Tag::Attributes => read_attribute_list(&mut attribute, child, cx)?,
                Tag::AttributeReference => attribute_reference.push(AttributeRef::decode(child, cx)?),
                _ => field::unexpected_unless_ignorable(item, child, cx)?,
            }
        }
        let unique_identifier = field::required(unique_identifier, item, Tag::UniqueIdentifier)?;
        Ok(NotifyRequest { unique_identifier, attribute, attribute_reference })
    }

    fn encode(&self, tag: Tag, out: &mut Encoder, cx: &Cx) {
        let open = out.begin(tag);
        out.text(Tag::UniqueIdentifier, &self.unique_identifier);
        encode_optional_attribute_list(&self.attribute, out, cx);
        field::encode_all(&self.attribute_reference, Tag::AttributeReference, out, cx);
        out.end(open);
    }
}

kmip_struct! {
    /// The client's acknowledgement: no payload.
    pub struct NotifyResponse {}
}
