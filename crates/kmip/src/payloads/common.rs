//! Structures that several payloads share.

use keyward_ttlv::masks::ProtectionStorageMask;

use crate::kmip_struct;

kmip_struct! {
    /// The protection storage a client accepts for a new object, in order of preference (2.x).
    pub struct ProtectionStorageMasks {
        protection_storage_mask: many ProtectionStorageMask = ProtectionStorageMask,
    }
}
