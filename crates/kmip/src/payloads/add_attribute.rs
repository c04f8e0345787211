//! Add Attribute (2.1 §6.1.2, 1.4 §4.14): a new attribute instance. The 1.x request carries an
//! Attribute and its response echoes it, with the index the server gave it; the 2.x request
//! carries a New Attribute and its response only the identifier.

use crate::attributes::IndexedAttribute;
use crate::identifiers::UniqueIdentifierRef;
use crate::kmip_struct;
use crate::payloads::attribute_fields::attribute_echo_response;

kmip_struct! {
    pub struct AddAttributeRequest {
        /// Absent: the ID Placeholder.
        unique_identifier: opt UniqueIdentifierRef = UniqueIdentifier,
        new_attribute: one IndexedAttribute = Attribute | NewAttribute,
    }
}

attribute_echo_response! {
    /// The attribute added, with its index, for 1.x clients.
    AddAttributeResponse
}

#[cfg(test)]
mod tests {
    use keyward_ttlv::KmipVersion::{V1_1, V2_1};
    use keyward_ttlv::Value;

    use super::*;
    use crate::attributes::{Attribute, VendorAttribute};
    use crate::payloads::test_support::{assert_encodes_to, assert_wire_form};

    fn product_version() -> IndexedAttribute {
        let vendor = VendorAttribute {
            vendor: "x".into(),
            name: "Product_Version".into(),
            value: Value::TextString("8.0".into()),
        };
        IndexedAttribute::new(Attribute::Vendor(vendor))
    }

    #[test]
    fn a_custom_attribute_is_an_x_name_in_1x_and_a_vendor_attribute_in_2x() {
        let request = AddAttributeRequest { unique_identifier: Some("key-1".into()), new_attribute: product_version() };
        let v11 = r#"<RequestPayload>
            <UniqueIdentifier type="TextString" value="key-1"/>
            <Attribute>
                <AttributeName type="TextString" value="x-Product_Version"/>
                <AttributeValue type="TextString" value="8.0"/>
            </Attribute>
        </RequestPayload>"#;
        let v21 = r#"<RequestPayload>
            <UniqueIdentifier type="TextString" value="key-1"/>
            <NewAttribute>
                <Attribute>
                    <VendorIdentification type="TextString" value="x"/>
                    <AttributeName type="TextString" value="Product_Version"/>
                    <AttributeValue type="TextString" value="8.0"/>
                </Attribute>
            </NewAttribute>
        </RequestPayload>"#;
        assert_wire_form(&request, v11, V1_1);
        assert_wire_form(&request, v21, V2_1);
    }

    #[test]
    fn response_echoes_the_attribute_in_1x_only() {
        let response = AddAttributeResponse { unique_identifier: "key-1".into(), attribute: Some(product_version()) };
        let v11 = r#"<ResponsePayload>
            <UniqueIdentifier type="TextString" value="key-1"/>
            <Attribute>
                <AttributeName type="TextString" value="x-Product_Version"/>
                <AttributeValue type="TextString" value="8.0"/>
            </Attribute>
        </ResponsePayload>"#;
        assert_wire_form(&response, v11, V1_1);
        assert_encodes_to(
            &response,
            r#"<ResponsePayload><UniqueIdentifier type="TextString" value="key-1"/></ResponsePayload>"#,
            V2_1,
        );
    }
}
