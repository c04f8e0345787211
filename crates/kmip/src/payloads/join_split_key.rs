//! Join Split Key (2.1 §6.1.27, 1.4 §4.39; KMIP 1.2 and later): a key rebuilt from its parts.

use keyward_ttlv::enums::{ObjectType, SecretDataType};

use crate::attributes::Attributes;
use crate::identifiers::UniqueIdentifierRef;
use crate::kmip_struct;
use crate::payloads::common::ProtectionStorageMasks;
use crate::payloads::create_split_key::ObjectTypeFor1_2;

kmip_struct! {
    pub struct JoinSplitKeyRequest {
        object_type: one ObjectType = ObjectType,
        /// The parts, at least as many as the threshold.
        unique_identifier: many UniqueIdentifierRef = UniqueIdentifier,
        secret_data_type: opt SecretDataType = SecretDataType,
        attributes: opt Attributes = TemplateAttribute | Attributes,
        protection_storage_masks: opt ProtectionStorageMasks = ProtectionStorageMasks,
    }
}

kmip_struct! {
    pub struct JoinSplitKeyResponse {
        /// Written to KMIP 1.2 messages only.
        object_type: opt ObjectTypeFor1_2 = ObjectType,
        unique_identifier: one String = UniqueIdentifier,
        /// 1.x only: attributes the server set implicitly.
        attributes: opt Attributes = TemplateAttribute,
    }
}
