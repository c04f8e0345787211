//! Delete Attribute (2.1 §6.1.13, 1.4 §4.16): removes an attribute instance.
//!
//! A 1.x request names the attribute by Attribute Name and the instance by Attribute Index, both
//! directly in the payload; a 2.x request gives either the Current Attribute (the instance, by
//! value) or an Attribute Reference. The 1.x response echoes the deleted Attribute.

use crate::attributes::{AttributeRef, IndexedAttribute};
use crate::identifiers::UniqueIdentifierRef;
use crate::kmip_struct;
use crate::payloads::attribute_fields::attribute_echo_response;

kmip_struct! {
    pub struct DeleteAttributeRequest {
        /// Absent: the ID Placeholder.
        unique_identifier: opt UniqueIdentifierRef = UniqueIdentifier,
        /// 2.x: the instance to delete, by value.
        current_attribute: opt IndexedAttribute = CurrentAttribute,
        /// The attribute to delete: required in 1.x (Attribute Name), optional in 2.x.
        attribute_reference: opt AttributeRef = AttributeName | AttributeReference,
        /// 1.x: the instance to delete; absent means index 0.
        attribute_index: opt i32 = AttributeIndex,
    }
}

attribute_echo_response! {
    /// The attribute deleted, for 1.x clients.
    DeleteAttributeResponse
}

#[cfg(test)]
mod tests {
    use keyward_ttlv::KmipVersion::{V1_4, V2_1};
    use keyward_ttlv::Tag;

    use super::*;
    use crate::payloads::test_support::assert_wire_form;

    #[test]
    fn request_names_the_instance_by_name_and_index_in_1x_and_by_reference_in_2x() {
        let in_1x = DeleteAttributeRequest {
            unique_identifier: None,
            current_attribute: None,
            attribute_reference: Some(AttributeRef::Standard(Tag::ObjectGroup)),
            attribute_index: Some(2),
        };
        let v14 = r#"<RequestPayload>
            <AttributeName type="TextString" value="Object Group"/>
            <AttributeIndex type="Integer" value="2"/>
        </RequestPayload>"#;
        assert_wire_form(&in_1x, v14, V1_4);

        let in_2x = DeleteAttributeRequest { attribute_index: None, ..in_1x };
        let v21 = r#"<RequestPayload>
            <AttributeReference type="Enumeration" value="ObjectGroup"/>
        </RequestPayload>"#;
        assert_wire_form(&in_2x, v21, V2_1);
    }
}
