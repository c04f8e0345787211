//! Modify Attribute (2.1 §6.1.34, 1.4 §4.15): a new value for an attribute instance.
//!
//! A 1.x request carries the Attribute (its index says which instance); a 2.x request the New
//! Attribute and, to say which instance, optionally the Current Attribute. The 1.x response is
//! required to echo the modified Attribute, and clients depend on it (Synology DSM blocks
//! without it: interop note 3); the 2.x response carries the identifier only.

use crate::attributes::IndexedAttribute;
use crate::identifiers::UniqueIdentifierRef;
use crate::kmip_struct;
use crate::payloads::attribute_fields::attribute_echo_response;

kmip_struct! {
    pub struct ModifyAttributeRequest {
        /// Absent: the ID Placeholder.
        unique_identifier: opt UniqueIdentifierRef = UniqueIdentifier,
        /// 2.x: the instance to change, when the attribute has several.
        current_attribute: opt IndexedAttribute = CurrentAttribute,
        new_attribute: one IndexedAttribute = Attribute | NewAttribute,
    }
}

attribute_echo_response! {
    /// The attribute with its new value. A server must set `attribute` for 1.x clients: the 1.4
    /// table requires it.
    ModifyAttributeResponse
}

#[cfg(test)]
mod tests {
    use keyward_ttlv::KmipVersion::{V1_2, V1_4, V2_1};
    use keyward_ttlv::enums::NameType;

    use super::*;
    use crate::attributes::{Attribute, Name};
    use crate::payloads::test_support::{assert_encodes_to, assert_wire_form, decode_xml};

    fn name(text: &str) -> Attribute {
        Attribute::Name(Name { name_value: text.into(), name_type: NameType::UninterpretedTextString })
    }

    #[test]
    fn request_carries_the_attribute_in_1x_and_current_and_new_attributes_in_2x() {
        let v14 = r#"<RequestPayload>
            <UniqueIdentifier type="TextString" value="key-1"/>
            <Attribute>
                <AttributeName type="TextString" value="Name"/>
                <AttributeIndex type="Integer" value="1"/>
                <AttributeValue>
                    <NameValue type="TextString" value="renamed"/>
                    <NameType type="Enumeration" value="UninterpretedTextString"/>
                </AttributeValue>
            </Attribute>
        </RequestPayload>"#;
        let in_1x = ModifyAttributeRequest {
            unique_identifier: Some("key-1".into()),
            current_attribute: None,
            new_attribute: IndexedAttribute { index: 1, attribute: name("renamed") },
        };
        assert_wire_form(&in_1x, v14, V1_4);

        let v21 = r#"<RequestPayload>
            <UniqueIdentifier type="TextString" value="key-1"/>
            <CurrentAttribute>
                <Name>
                    <NameValue type="TextString" value="old"/>
                    <NameType type="Enumeration" value="UninterpretedTextString"/>
                </Name>
            </CurrentAttribute>
            <NewAttribute>
                <Name>
                    <NameValue type="TextString" value="renamed"/>
                    <NameType type="Enumeration" value="UninterpretedTextString"/>
                </Name>
            </NewAttribute>
        </RequestPayload>"#;
        let in_2x = ModifyAttributeRequest {
            unique_identifier: Some("key-1".into()),
            current_attribute: Some(IndexedAttribute::new(name("old"))),
            new_attribute: IndexedAttribute::new(name("renamed")),
        };
        assert_wire_form(&in_2x, v21, V2_1);
    }

    #[test]
    fn response_echoes_the_attribute_in_1x_only() {
        let response = ModifyAttributeResponse {
            unique_identifier: "key-1".into(),
            attribute: Some(IndexedAttribute::new(Attribute::ActivationDate(crate::codec::DateTime(1_700_000_000)))),
        };
        let v14 = r#"<ResponsePayload>
            <UniqueIdentifier type="TextString" value="key-1"/>
            <Attribute>
                <AttributeName type="TextString" value="Activation Date"/>
                <AttributeValue type="DateTime" value="2023-11-14T22:13:20+00:00"/>
            </Attribute>
        </ResponsePayload>"#;
        let v21 = r#"<ResponsePayload><UniqueIdentifier type="TextString" value="key-1"/></ResponsePayload>"#;
        assert_wire_form(&response, v14, V1_4);
        assert_encodes_to(&response, v14, V1_2);
        assert_encodes_to(&response, v21, V2_1);
        let decoded: ModifyAttributeResponse = decode_xml(v21, V2_1);
        assert_eq!(decoded, ModifyAttributeResponse { unique_identifier: "key-1".into(), attribute: None });
    }
}
