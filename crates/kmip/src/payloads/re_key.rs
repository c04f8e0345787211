//! Re-key (2.1 §6.1.46, 1.4 §4.4): a replacement for a symmetric key.

use crate::attributes::Attributes;
use crate::codec::Interval;
use crate::identifiers::UniqueIdentifierRef;
use crate::kmip_struct;
use crate::payloads::common::ProtectionStorageMasks;

kmip_struct! {
    pub struct ReKeyRequest {
        /// The key to replace; absent: the ID Placeholder.
        unique_identifier: opt UniqueIdentifierRef = UniqueIdentifier,
        /// From the replacement's Initial Date to its Activation Date.
        offset: opt Interval = Offset,
        attributes: opt Attributes = TemplateAttribute | Attributes,
        protection_storage_masks: opt ProtectionStorageMasks = ProtectionStorageMasks,
    }
}

kmip_struct! {
    pub struct ReKeyResponse {
        unique_identifier: one String = UniqueIdentifier,
        /// 1.x only: attributes the server set implicitly.
        attributes: opt Attributes = TemplateAttribute,
    }
}
