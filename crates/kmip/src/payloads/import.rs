//! Import (2.1 §6.1.25, 1.4 §4.41; KMIP 1.4 and later): an exported object, with its identifier
//! and all its attributes, set as given.

use keyward_ttlv::enums::{KeyWrapType, ObjectType};
use keyward_ttlv::{Encoder, ItemRef, Tag};

use crate::attributes::IndexedAttribute;
use crate::attributes::wire::encode_attribute_list;
use crate::codec::{Codec, Cx, expect_structure, field};
use crate::error::ModelResult;
use crate::kmip_struct;
use crate::objects::ManagedObject;
use crate::payloads::attribute_fields::read_attribute_list;
use crate::payloads::object_field::missing_object;

/// The attributes travel as Attribute structures directly in the payload in 1.4, as one
/// Attributes structure in 2.x.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportRequest {
    /// The identifier the object is to have.
    pub unique_identifier: String,
    /// Required in 2.x; the 1.4 table does not have it, so it is written to 2.x messages only.
    pub object_type: Option<ObjectType>,
    /// Replace an object with the same identifier instead of failing.
    pub replace_existing: Option<bool>,
    /// Not Wrapped: unwrap the object before storing it; otherwise store it as given.
    pub key_wrap_type: Option<KeyWrapType>,
    pub attribute: Vec<IndexedAttribute>,
    pub object: ManagedObject,
}

impl Codec for ImportRequest {
    fn decode(item: ItemRef<'_>, cx: &Cx) -> ModelResult<Self> {
        expect_structure(item)?;
        let mut unique_identifier = None;
        let mut object_type = None;
        let mut replace_existing = None;
        let mut key_wrap_type = None;
        let mut attribute = Vec::new();
        let mut object: Option<ManagedObject> = None;
        for child in item.children() {
            match child.tag() {
                Tag::UniqueIdentifier => field::set_once(&mut unique_identifier, item.tag(), child, cx)?,
                Tag::ObjectType => field::set_once(&mut object_type, item.tag(), child, cx)?,
                Tag::ReplaceExisting => field::set_once(&mut replace_existing, item.tag(), child, cx)?,
                Tag::KeyWrapType => field::set_once(&mut key_wrap_type, item.tag(), child, cx)?,
                Tag::Attribute | Tag::Attributes => read_attribute_list(&mut attribute, child, cx)?,
                tag if ManagedObject::is_object_tag(tag) => field::set_once(&mut object, item.tag(), child, cx)?,
                _ => field::unexpected_unless_ignorable(item, child, cx)?,
            }
        }
        let object = object.ok_or_else(|| missing_object(item, object_type))?;
        let unique_identifier = field::required(unique_identifier, item, Tag::UniqueIdentifier)?;
        Ok(ImportRequest { unique_identifier, object_type, replace_existing, key_wrap_type, attribute, object })
    }

    fn encode(&self, tag: Tag, out: &mut Encoder, cx: &Cx) {
        let open = out.begin(tag);
        out.text(Tag::UniqueIdentifier, &self.unique_identifier);
        if !cx.is_1x() {
            field::encode_opt(&self.object_type, Tag::ObjectType, out, cx);
        }
        field::encode_opt(&self.replace_existing, Tag::ReplaceExisting, out, cx);
        field::encode_opt(&self.key_wrap_type, Tag::KeyWrapType, out, cx);
        encode_attribute_list(&self.attribute, out, cx);
        self.object.encode(self.object.tag(), out, cx);
        out.end(open);
    }
}

kmip_struct! {
    pub struct ImportResponse {
        unique_identifier: one String = UniqueIdentifier,
    }
}

#[cfg(test)]
mod tests {
    use keyward_ttlv::KmipVersion::{V1_4, V2_1};
    use keyward_ttlv::enums::OpaqueDataType;

    use super::*;
    use crate::attributes::Attribute;
    use crate::codec::Bytes;
    use crate::objects::OpaqueObject;
    use crate::payloads::test_support::{assert_encodes_to, assert_wire_form};

    #[test]
    fn object_type_and_the_attributes_structure_are_2x_forms() {
        let request = ImportRequest {
            unique_identifier: "blob-1".into(),
            object_type: Some(ObjectType::OpaqueObject),
            replace_existing: Some(true),
            key_wrap_type: None,
            attribute: vec![IndexedAttribute::new(Attribute::ObjectType(ObjectType::OpaqueObject))],
            object: ManagedObject::OpaqueObject(OpaqueObject {
                opaque_data_type: OpaqueDataType(0x8000_0001),
                opaque_data_value: Bytes::new([0xab]),
            }),
        };
        let object = r#"<OpaqueObject>
            <OpaqueDataType type="Enumeration" value="0x80000001"/>
            <OpaqueDataValue type="ByteString" value="ab"/>
        </OpaqueObject>"#;
        let v14 = format!(
            r#"<RequestPayload>
                <UniqueIdentifier type="TextString" value="blob-1"/>
                <ReplaceExisting type="Boolean" value="true"/>
                <Attribute>
                    <AttributeName type="TextString" value="Object Type"/>
                    <AttributeValue type="Enumeration" value="OpaqueObject"/>
                </Attribute>
                {object}
            </RequestPayload>"#
        );
        let v21 = format!(
            r#"<RequestPayload>
                <UniqueIdentifier type="TextString" value="blob-1"/>
                <ObjectType type="Enumeration" value="OpaqueObject"/>
                <ReplaceExisting type="Boolean" value="true"/>
                <Attributes><ObjectType type="Enumeration" value="OpaqueObject"/></Attributes>
                {object}
            </RequestPayload>"#
        );
        assert_encodes_to(&request, &v14, V1_4);
        assert_wire_form(&request, &v21, V2_1);
    }
}
