//! Create Split Key (2.1 §6.1.10, 1.4 §4.38; KMIP 1.2 and later): a key split into parts.

use keyward_ttlv::enums::{ObjectType, SplitKeyMethod};
use keyward_ttlv::{Encoder, ItemRef, KmipVersion, Tag};

use crate::attributes::Attributes;
use crate::codec::{BigInt, Codec, Cx};
use crate::error::ModelResult;
use crate::identifiers::UniqueIdentifierRef;
use crate::kmip_struct;
use crate::payloads::common::ProtectionStorageMasks;

/// The Object Type of the Create Split Key and Join Split Key responses, which KMIP 1.2 requires
/// (1.2 §4.38, 4.39) and 1.3 dropped: read in any version, written to 1.2 messages only, so a
/// server may always set it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObjectTypeFor1_2(pub ObjectType);

impl Codec for ObjectTypeFor1_2 {
    fn decode(item: ItemRef<'_>, cx: &Cx) -> ModelResult<Self> {
        ObjectType::decode(item, cx).map(ObjectTypeFor1_2)
    }

    fn encode(&self, tag: Tag, out: &mut Encoder, cx: &Cx) {
        if cx.version == KmipVersion::V1_2 {
            self.0.encode(tag, out, cx);
        }
    }
}

kmip_struct! {
    pub struct CreateSplitKeyRequest {
        object_type: one ObjectType = ObjectType,
        /// The key to split, if an existing one; absent: a new key.
        unique_identifier: opt UniqueIdentifierRef = UniqueIdentifier,
        split_key_parts: one i32 = SplitKeyParts,
        split_key_threshold: one i32 = SplitKeyThreshold,
        split_key_method: one SplitKeyMethod = SplitKeyMethod,
        prime_field_size: opt BigInt = PrimeFieldSize,
        attributes: one Attributes = TemplateAttribute | Attributes,
        protection_storage_masks: opt ProtectionStorageMasks = ProtectionStorageMasks,
    }
}

kmip_struct! {
    pub struct CreateSplitKeyResponse {
        /// Written to KMIP 1.2 messages only.
        object_type: opt ObjectTypeFor1_2 = ObjectType,
        /// The parts.
        unique_identifier: many String = UniqueIdentifier,
        /// 1.x only: attributes the server set implicitly.
        attributes: opt Attributes = TemplateAttribute,
    }
}

#[cfg(test)]
mod tests {
    use keyward_ttlv::KmipVersion::{V1_2, V1_3, V2_1};

    use super::*;
    use crate::payloads::test_support::{assert_encodes_to, assert_wire_form};

    #[test]
    fn the_response_object_type_is_a_1_2_field() {
        let response = CreateSplitKeyResponse {
            object_type: Some(ObjectTypeFor1_2(ObjectType::SplitKey)),
            unique_identifier: vec!["part-1".into(), "part-2".into()],
            attributes: None,
        };
        let parts = r#"<UniqueIdentifier type="TextString" value="part-1"/>
            <UniqueIdentifier type="TextString" value="part-2"/>"#;
        let v12 =
            format!(r#"<ResponsePayload><ObjectType type="Enumeration" value="SplitKey"/>{parts}</ResponsePayload>"#);
        let later = format!("<ResponsePayload>{parts}</ResponsePayload>");
        assert_wire_form(&response, &v12, V1_2);
        assert_encodes_to(&response, &later, V1_3);
        assert_encodes_to(&response, &later, V2_1);
    }
}
