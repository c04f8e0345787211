//! Get Attribute List (2.1 §6.1.21, 1.4 §4.13): the names of an object's attributes, as 1.x
//! Attribute Names or 2.x Attribute References.

use crate::attributes::AttributeRef;
use crate::identifiers::UniqueIdentifierRef;
use crate::kmip_struct;

kmip_struct! {
    pub struct GetAttributeListRequest {
        /// Absent: the ID Placeholder.
        unique_identifier: opt UniqueIdentifierRef = UniqueIdentifier,
    }
}

kmip_struct! {
    pub struct GetAttributeListResponse {
        unique_identifier: one String = UniqueIdentifier,
        attribute_reference: many AttributeRef = AttributeName | AttributeReference,
    }
}

#[cfg(test)]
mod tests {
    use keyward_ttlv::KmipVersion::{V1_4, V2_1};
    use keyward_ttlv::Tag;

    use super::*;
    use crate::payloads::test_support::assert_wire_form;

    #[test]
    fn response_lists_attribute_names_in_1x_and_attribute_references_in_2x() {
        let response = GetAttributeListResponse {
            unique_identifier: "key-1".into(),
            attribute_reference: vec![
                AttributeRef::Standard(Tag::Name),
                AttributeRef::Standard(Tag::CryptographicAlgorithm),
                AttributeRef::Vendor { vendor: "x".into(), name: "Barcode".into() },
            ],
        };
        let v14 = r#"<ResponsePayload>
            <UniqueIdentifier type="TextString" value="key-1"/>
            <AttributeName type="TextString" value="Name"/>
            <AttributeName type="TextString" value="Cryptographic Algorithm"/>
            <AttributeName type="TextString" value="x-Barcode"/>
        </ResponsePayload>"#;
        let v21 = r#"<ResponsePayload>
            <UniqueIdentifier type="TextString" value="key-1"/>
            <AttributeReference type="Enumeration" value="Name"/>
            <AttributeReference type="Enumeration" value="CryptographicAlgorithm"/>
            <AttributeReference>
                <VendorIdentification type="TextString" value="x"/>
                <AttributeName type="TextString" value="Barcode"/>
            </AttributeReference>
        </ResponsePayload>"#;
        assert_wire_form(&response, v14, V1_4);
        assert_wire_form(&response, v21, V2_1);
    }

    #[test]
    fn request_without_identifier_means_the_id_placeholder() {
        let request = GetAttributeListRequest { unique_identifier: None };
        assert_wire_form(&request, "<RequestPayload/>", V1_4);
        assert_wire_form(&request, "<RequestPayload/>", V2_1);
    }
}
