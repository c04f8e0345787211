//! Export (2.1 §6.1.18, 1.4 §4.40; KMIP 1.4 and later): an object with all its attributes, to be
//! imported elsewhere.

use keyward_ttlv::enums::{KeyCompressionType, KeyFormatType, KeyWrapType, ObjectType};
use keyward_ttlv::{Encoder, ItemRef, Tag};

use crate::attributes::IndexedAttribute;
use crate::attributes::wire::encode_attribute_list;
use crate::codec::{Codec, Cx, expect_structure, field};
use crate::error::ModelResult;
use crate::identifiers::UniqueIdentifierRef;
use crate::kmip_struct;
use crate::objects::{KeyWrappingSpecification, ManagedObject};
use crate::payloads::attribute_fields::read_attribute_list;
use crate::payloads::object_field::missing_object;

kmip_struct! {
    pub struct ExportRequest {
        /// Absent: the ID Placeholder.
        unique_identifier: opt UniqueIdentifierRef = UniqueIdentifier,
        key_format_type: opt KeyFormatType = KeyFormatType,
        key_wrap_type: opt KeyWrapType = KeyWrapType,
        key_compression_type: opt KeyCompressionType = KeyCompressionType,
        key_wrapping_specification: opt KeyWrappingSpecification = KeyWrappingSpecification,
    }
}

/// The object and its attributes: 1.4 carries them as Attribute structures directly in the
/// payload, 2.x as one Attributes structure.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportResponse {
    pub object_type: ObjectType,
    pub unique_identifier: String,
    pub attribute: Vec<IndexedAttribute>,
    pub object: ManagedObject,
}

impl Codec for ExportResponse {
    fn decode(item: ItemRef<'_>, cx: &Cx) -> ModelResult<Self> {
        expect_structure(item)?;
        let mut object_type = None;
        let mut unique_identifier = None;
        let mut attribute = Vec::new();
        let mut object: Option<ManagedObject> = None;
        for child in item.children() {
            match child.tag() {
                Tag::ObjectType => field::set_once(&mut object_type, item.tag(), child, cx)?,
                Tag::UniqueIdentifier => field::set_once(&mut unique_identifier, item.tag(), child, cx)?,
                Tag::Attribute | Tag::Attributes => read_attribute_list(&mut attribute, child, cx)?,
                tag if ManagedObject::is_object_tag(tag) => field::set_once(&mut object, item.tag(), child, cx)?,
                _ => field::unexpected_unless_ignorable(item, child, cx)?,
            }
        }
        let object_type = field::required(object_type, item, Tag::ObjectType)?;
        let object = object.ok_or_else(|| missing_object(item, Some(object_type)))?;
        let unique_identifier = field::required(unique_identifier, item, Tag::UniqueIdentifier)?;
        Ok(ExportResponse { object_type, unique_identifier, attribute, object })
    }

    fn encode(&self, tag: Tag, out: &mut Encoder, cx: &Cx) {
        let open = out.begin(tag);
        self.object_type.encode(Tag::ObjectType, out, cx);
        out.text(Tag::UniqueIdentifier, &self.unique_identifier);
        encode_attribute_list(&self.attribute, out, cx);
        self.object.encode(self.object.tag(), out, cx);
        out.end(open);
    }
}
