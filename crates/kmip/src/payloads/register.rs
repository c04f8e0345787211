//! Register (2.1 §6.1.43, 1.4 §4.3): an object made by the client, handed to the server.

use keyward_ttlv::enums::ObjectType;
use keyward_ttlv::{Encoder, ItemRef, Tag};

use crate::attributes::Attributes;
use crate::codec::{Codec, Cx, expect_structure, field};
use crate::error::ModelResult;
use crate::kmip_struct;
use crate::objects::ManagedObject;
use crate::payloads::common::ProtectionStorageMasks;

/// The object travels under its own tag (Symmetric Key, Certificate...), hence a hand-written codec.
#[derive(Clone, Debug, PartialEq)]
pub struct RegisterRequest {
    pub object_type: ObjectType,
    /// A Template-Attribute in 1.x, Attributes in 2.x.
    pub attributes: Attributes,
    /// Required since KMIP 1.2; 1.0 and 1.1 let a client register an object without its value
    /// ("objects that are not to be stored ... MAY be omitted").
    pub object: Option<ManagedObject>,
    pub protection_storage_masks: Option<ProtectionStorageMasks>,
}

impl Codec for RegisterRequest {
    fn decode(item: ItemRef<'_>, cx: &Cx) -> ModelResult<Self> {
        expect_structure(item)?;
        let mut object_type = None;
        let mut attributes = None;
        let mut object = None;
        let mut protection_storage_masks = None;
        for child in item.children() {
            match child.tag() {
                Tag::ObjectType => field::set_once(&mut object_type, item.tag(), child, cx)?,
                Tag::TemplateAttribute | Tag::Attributes => field::set_once(&mut attributes, item.tag(), child, cx)?,
                Tag::ProtectionStorageMasks => field::set_once(&mut protection_storage_masks, item.tag(), child, cx)?,
                tag if ManagedObject::is_object_tag(tag) => field::set_once(&mut object, item.tag(), child, cx)?,
                _ => field::unexpected_unless_ignorable(item, child, cx)?,
            }
        }
        Ok(RegisterRequest {
            object_type: field::required(object_type, item, Tag::ObjectType)?,
            attributes: field::required(
                attributes,
                item,
                if cx.is_1x() { Tag::TemplateAttribute } else { Tag::Attributes },
            )?,
            object,
            protection_storage_masks,
        })
    }

    fn encode(&self, tag: Tag, out: &mut Encoder, cx: &Cx) {
        let open = out.begin(tag);
        self.object_type.encode(Tag::ObjectType, out, cx);
        self.attributes.encode(if cx.is_1x() { Tag::TemplateAttribute } else { Tag::Attributes }, out, cx);
        if let Some(object) = &self.object {
            object.encode(object.tag(), out, cx);
        }
        field::encode_opt(&self.protection_storage_masks, Tag::ProtectionStorageMasks, out, cx);
        out.end(open);
    }
}

kmip_struct! {
    pub struct RegisterResponse {
        unique_identifier: one String = UniqueIdentifier,
        /// 1.x only: attributes the server set implicitly.
        attributes: opt Attributes = TemplateAttribute,
    }
}

#[cfg(test)]
mod tests {
    use keyward_ttlv::KmipVersion::{V1_0, V1_4, V2_1};
    use keyward_ttlv::enums::{CryptographicAlgorithm, KeyFormatType};

    use super::*;
    use crate::attributes::Attribute;
    use crate::codec::Bytes;
    use crate::objects::{KeyBlock, KeyMaterial, KeyValue, SymmetricKey};
    use crate::payloads::test_support::{assert_wire_form, decode_xml};

    fn aes_key() -> ManagedObject {
        let key_value =
            KeyValue::Plain { key_material: KeyMaterial::Bytes(Bytes::new([0x01, 0x23])), attributes: Vec::new() };
        ManagedObject::SymmetricKey(SymmetricKey {
            key_block: KeyBlock {
                key_format_type: KeyFormatType::Raw,
                key_compression_type: None,
                key_value: Some(key_value),
                cryptographic_algorithm: Some(CryptographicAlgorithm::AES),
                cryptographic_length: Some(16),
                key_wrapping_data: None,
            },
        })
    }

    const KEY: &str = r#"<SymmetricKey>
        <KeyBlock>
            <KeyFormatType type="Enumeration" value="Raw"/>
            <KeyValue><KeyMaterial type="ByteString" value="0123"/></KeyValue>
            <CryptographicAlgorithm type="Enumeration" value="AES"/>
            <CryptographicLength type="Integer" value="16"/>
        </KeyBlock>
    </SymmetricKey>"#;

    #[test]
    fn the_object_travels_under_its_own_tag_after_the_attributes() {
        let request = RegisterRequest {
            object_type: ObjectType::SymmetricKey,
            attributes: Attributes::new(vec![Attribute::ObjectGroup("backups".into())]),
            object: Some(aes_key()),
            protection_storage_masks: None,
        };
        let v14 = format!(
            r#"<RequestPayload>
                <ObjectType type="Enumeration" value="SymmetricKey"/>
                <TemplateAttribute>
                    <Attribute>
                        <AttributeName type="TextString" value="Object Group"/>
                        <AttributeValue type="TextString" value="backups"/>
                    </Attribute>
                </TemplateAttribute>
                {KEY}
            </RequestPayload>"#
        );
        let v21 = format!(
            r#"<RequestPayload>
                <ObjectType type="Enumeration" value="SymmetricKey"/>
                <Attributes><ObjectGroup type="TextString" value="backups"/></Attributes>
                {KEY}
            </RequestPayload>"#
        );
        assert_wire_form(&request, &v14, V1_4);
        assert_wire_form(&request, &v21, V2_1);
    }

    #[test]
    fn a_1_0_request_may_leave_the_object_out() {
        let v10 = r#"<RequestPayload>
            <ObjectType type="Enumeration" value="PrivateKey"/>
            <TemplateAttribute/>
        </RequestPayload>"#;
        let request: RegisterRequest = decode_xml(v10, V1_0);
        assert_eq!(request.object, None);
    }
}
