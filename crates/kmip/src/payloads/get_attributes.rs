//! Get Attributes (2.1 §6.1.20, 1.4 §4.12): some or all attributes of an object.
//!
//! 1.x names the attributes wanted by Attribute Name and returns Attribute structures directly in
//! the payload; 2.x names them by Attribute Reference and returns one Attributes structure.

use keyward_ttlv::{Encoder, ItemRef, Tag};

use crate::attributes::wire::encode_attribute_list;
use crate::attributes::{AttributeRef, IndexedAttribute};
use crate::codec::{Codec, Cx, expect_structure, field};
use crate::error::ModelResult;
use crate::identifiers::UniqueIdentifierRef;
use crate::kmip_struct;
use crate::payloads::attribute_fields::read_attribute_list;

kmip_struct! {
    pub struct GetAttributesRequest {
        /// Absent: the ID Placeholder.
        unique_identifier: opt UniqueIdentifierRef = UniqueIdentifier,
        /// The attributes wanted; none means all of them.
        attribute_reference: many AttributeRef = AttributeName | AttributeReference,
    }
}

/// The attributes found (those asked for that the object has).
#[derive(Clone, Debug, PartialEq)]
pub struct GetAttributesResponse {
    pub unique_identifier: String,
    pub attribute: Vec<IndexedAttribute>,
}

impl Codec for GetAttributesResponse {
    fn decode(item: ItemRef<'_>, cx: &Cx) -> ModelResult<Self> {
        expect_structure(item)?;
        let mut unique_identifier: Option<String> = None;
        let mut attribute = Vec::new();
        for child in item.children() {
            match child.tag() {
                Tag::UniqueIdentifier => field::set_once(&mut unique_identifier, item.tag(), child, cx)?,
                Tag::Attribute | Tag::Attributes => read_attribute_list(&mut attribute, child, cx)?,
                _ => field::unexpected_unless_ignorable(item, child, cx)?,
            }
        }
        let unique_identifier = field::required(unique_identifier, item, Tag::UniqueIdentifier)?;
        Ok(GetAttributesResponse { unique_identifier, attribute })
    }

    /// 2.x requires the Attributes structure, so it is written even when empty.
    fn encode(&self, tag: Tag, out: &mut Encoder, cx: &Cx) {
        let open = out.begin(tag);
        out.text(Tag::UniqueIdentifier, &self.unique_identifier);
        encode_attribute_list(&self.attribute, out, cx);
        out.end(open);
    }
}

#[cfg(test)]
mod tests {
    use keyward_ttlv::KmipVersion::{V1_4, V2_1};
    use keyward_ttlv::Tag;
    use keyward_ttlv::enums::NameType;
    use keyward_ttlv::masks::CryptographicUsageMask;

    use super::*;
    use crate::attributes::{Attribute, Name};
    use crate::payloads::test_support::{assert_encodes_to, assert_wire_form, decode_xml};

    fn request() -> GetAttributesRequest {
        GetAttributesRequest {
            unique_identifier: Some("key-1".into()),
            attribute_reference: vec![
                AttributeRef::Standard(Tag::CryptographicUsageMask),
                AttributeRef::Vendor { vendor: "x".into(), name: "Product_Version".into() },
            ],
        }
    }

    #[test]
    fn request_names_attributes_by_name_in_1x_and_by_reference_in_2x() {
        let v14 = r#"<RequestPayload>
            <UniqueIdentifier type="TextString" value="key-1"/>
            <AttributeName type="TextString" value="Cryptographic Usage Mask"/>
            <AttributeName type="TextString" value="x-Product_Version"/>
        </RequestPayload>"#;
        let v21 = r#"<RequestPayload>
            <UniqueIdentifier type="TextString" value="key-1"/>
            <AttributeReference type="Enumeration" value="CryptographicUsageMask"/>
            <AttributeReference>
                <VendorIdentification type="TextString" value="x"/>
                <AttributeName type="TextString" value="Product_Version"/>
            </AttributeReference>
        </RequestPayload>"#;
        assert_wire_form(&request(), v14, V1_4);
        assert_wire_form(&request(), v21, V2_1);
    }

    fn response() -> GetAttributesResponse {
        let name = |text: &str| {
            Attribute::Name(Name { name_value: text.into(), name_type: NameType::UninterpretedTextString })
        };
        GetAttributesResponse {
            unique_identifier: "key-1".into(),
            attribute: vec![
                IndexedAttribute::new(Attribute::CryptographicUsageMask(CryptographicUsageMask(
                    CryptographicUsageMask::Encrypt.0 | CryptographicUsageMask::Decrypt.0,
                ))),
                IndexedAttribute::new(name("first")),
                IndexedAttribute { index: 1, attribute: name("second") },
            ],
        }
    }

    const RESPONSE_1_4: &str = r#"<ResponsePayload>
        <UniqueIdentifier type="TextString" value="key-1"/>
        <Attribute>
            <AttributeName type="TextString" value="Cryptographic Usage Mask"/>
            <AttributeValue type="Integer" value="Encrypt Decrypt"/>
        </Attribute>
        <Attribute>
            <AttributeName type="TextString" value="Name"/>
            <AttributeValue>
                <NameValue type="TextString" value="first"/>
                <NameType type="Enumeration" value="UninterpretedTextString"/>
            </AttributeValue>
        </Attribute>
        <Attribute>
            <AttributeName type="TextString" value="Name"/>
            <AttributeIndex type="Integer" value="1"/>
            <AttributeValue>
                <NameValue type="TextString" value="second"/>
                <NameType type="Enumeration" value="UninterpretedTextString"/>
            </AttributeValue>
        </Attribute>
    </ResponsePayload>"#;

    const RESPONSE_2_1: &str = r#"<ResponsePayload>
        <UniqueIdentifier type="TextString" value="key-1"/>
        <Attributes>
            <CryptographicUsageMask type="Integer" value="Encrypt Decrypt"/>
            <Name>
                <NameValue type="TextString" value="first"/>
                <NameType type="Enumeration" value="UninterpretedTextString"/>
            </Name>
            <Name>
                <NameValue type="TextString" value="second"/>
                <NameType type="Enumeration" value="UninterpretedTextString"/>
            </Name>
        </Attributes>
    </ResponsePayload>"#;

    #[test]
    fn response_carries_attribute_structures_with_indexes_in_1x() {
        assert_wire_form(&response(), RESPONSE_1_4, V1_4);
    }

    #[test]
    fn response_carries_one_attributes_structure_without_indexes_in_2x() {
        assert_encodes_to(&response(), RESPONSE_2_1, V2_1);
        let decoded: GetAttributesResponse = decode_xml(RESPONSE_2_1, V2_1);
        let indexes: Vec<u32> = decoded.attribute.iter().map(|a| a.index).collect();
        assert_eq!(indexes, [0, 0, 0], "2.x has no Attribute Index");
        let values: Vec<_> = decoded.attribute.into_iter().map(|a| a.attribute).collect();
        assert_eq!(values, response().attribute.into_iter().map(|a| a.attribute).collect::<Vec<_>>());
    }

    #[test]
    fn an_empty_response_has_an_empty_attributes_structure_in_2x_only() {
        let empty = GetAttributesResponse { unique_identifier: "key-1".into(), attribute: Vec::new() };
        let v14 = r#"<ResponsePayload><UniqueIdentifier type="TextString" value="key-1"/></ResponsePayload>"#;
        let v21 =
            r#"<ResponsePayload><UniqueIdentifier type="TextString" value="key-1"/><Attributes/></ResponsePayload>"#;
        assert_wire_form(&empty, v14, V1_4);
        assert_wire_form(&empty, v21, V2_1);
    }
}
