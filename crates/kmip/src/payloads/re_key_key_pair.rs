//! Re-key Key Pair (2.1 §6.1.47, 1.4 §4.5; KMIP 1.1 and later): a replacement for a key pair.

use crate::attributes::Attributes;
use crate::codec::Interval;
use crate::identifiers::UniqueIdentifierRef;
use crate::kmip_struct;
use crate::payloads::common::ProtectionStorageMasks;

kmip_struct! {
    pub struct ReKeyKeyPairRequest {
        /// The private key of the pair to replace; absent: the ID Placeholder.
        private_key_unique_identifier: opt UniqueIdentifierRef = PrivateKeyUniqueIdentifier,
        /// From the replacements' Initial Date to their Activation Date.
        offset: opt Interval = Offset,
        common_attributes: opt Attributes = CommonTemplateAttribute | CommonAttributes,
        private_key_attributes: opt Attributes = PrivateKeyTemplateAttribute | PrivateKeyAttributes,
        public_key_attributes: opt Attributes = PublicKeyTemplateAttribute | PublicKeyAttributes,
        common_protection_storage_masks: opt ProtectionStorageMasks = CommonProtectionStorageMasks,
        private_protection_storage_masks: opt ProtectionStorageMasks = PrivateProtectionStorageMasks,
        public_protection_storage_masks: opt ProtectionStorageMasks = PublicProtectionStorageMasks,
    }
}

kmip_struct! {
    pub struct ReKeyKeyPairResponse {
        private_key_unique_identifier: one String = PrivateKeyUniqueIdentifier,
        public_key_unique_identifier: one String = PublicKeyUniqueIdentifier,
        /// 1.x only: attributes the server set implicitly on each key.
        private_key_attributes: opt Attributes = PrivateKeyTemplateAttribute,
        public_key_attributes: opt Attributes = PublicKeyTemplateAttribute,
    }
}
