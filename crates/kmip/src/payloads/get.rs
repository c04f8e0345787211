//! Get (2.1 §6.1.19, 1.4 §4.11): an object's value, in the format and wrapping the client asks for.

use keyward_ttlv::enums::{KeyCompressionType, KeyFormatType, KeyWrapType, ObjectType};
use keyward_ttlv::{Encoder, ItemRef, Tag};

use crate::codec::{Codec, Cx, expect_structure, field};
use crate::error::ModelResult;
use crate::identifiers::UniqueIdentifierRef;
use crate::kmip_struct;
use crate::objects::{KeyWrappingSpecification, ManagedObject};
use crate::payloads::object_field::missing_object;

kmip_struct! {
    pub struct GetRequest {
        /// Absent: the ID Placeholder.
        unique_identifier: opt UniqueIdentifierRef = UniqueIdentifier,
        key_format_type: opt KeyFormatType = KeyFormatType,
        /// KMIP 1.4 and later.
        key_wrap_type: opt KeyWrapType = KeyWrapType,
        key_compression_type: opt KeyCompressionType = KeyCompressionType,
        key_wrapping_specification: opt KeyWrappingSpecification = KeyWrappingSpecification,
    }
}

impl GetRequest {
    /// A Get of one object as the server stores it: no format, wrapping or compression asked for.
    pub fn of(unique_identifier: impl Into<UniqueIdentifierRef>) -> GetRequest {
        GetRequest {
            unique_identifier: Some(unique_identifier.into()),
            key_format_type: None,
            key_wrap_type: None,
            key_compression_type: None,
            key_wrapping_specification: None,
        }
    }
}

/// The object travels under its own tag (Symmetric Key, Certificate...), hence a hand-written codec.
#[derive(Clone, Debug, PartialEq)]
pub struct GetResponse {
    pub object_type: ObjectType,
    pub unique_identifier: String,
    pub object: ManagedObject,
}

impl Codec for GetResponse {
    fn decode(item: ItemRef<'_>, cx: &Cx) -> ModelResult<Self> {
        expect_structure(item)?;
        let mut object_type = None;
        let mut unique_identifier = None;
        let mut object: Option<ManagedObject> = None;
        for child in item.children() {
            match child.tag() {
                Tag::ObjectType => field::set_once(&mut object_type, item.tag(), child, cx)?,
                Tag::UniqueIdentifier => field::set_once(&mut unique_identifier, item.tag(), child, cx)?,
                tag if ManagedObject::is_object_tag(tag) => field::set_once(&mut object, item.tag(), child, cx)?,
                _ => field::unexpected_unless_ignorable(item, child, cx)?,
            }
        }
        let object_type = field::required(object_type, item, Tag::ObjectType)?;
        let object = object.ok_or_else(|| missing_object(item, Some(object_type)))?;
        Ok(GetResponse {
            object_type,
            unique_identifier: field::required(unique_identifier, item, Tag::UniqueIdentifier)?,
            object,
        })
    }

    fn encode(&self, tag: Tag, out: &mut Encoder, cx: &Cx) {
        let open = out.begin(tag);
        self.object_type.encode(Tag::ObjectType, out, cx);
        out.text(Tag::UniqueIdentifier, &self.unique_identifier);
        self.object.encode(self.object.tag(), out, cx);
        out.end(open);
    }
}

#[cfg(test)]
mod tests {
    use keyward_ttlv::KmipVersion::V1_4;

    use super::*;
    use crate::codec::decode_bytes;
    use crate::error::ModelError;
    use crate::payloads::test_support::wire;

    #[test]
    fn a_response_without_its_object_names_the_tag_it_lacks() {
        let xml = r#"<ResponsePayload>
            <ObjectType type="Enumeration" value="SymmetricKey"/>
            <UniqueIdentifier type="TextString" value="key-1"/>
        </ResponsePayload>"#;
        let error = decode_bytes::<GetResponse>(&wire(xml), &Cx::new(V1_4)).err();
        assert!(matches!(error, Some(ModelError::MissingField { field: Tag::SymmetricKey, .. })), "{error:?}");
    }
}
