//! The state changes that name one object and return its identifier: Activate (2.1 §6.1.1,
//! 1.4 §4.19), Destroy (§6.1.15, §4.21), Archive (§6.1.4, §4.22) and Recover (§6.1.42, §4.23).
//! Revoke, which carries a reason, has its own module.

use crate::identifiers::UniqueIdentifierRef;
use crate::kmip_struct;

kmip_struct! {
    pub struct ActivateRequest {
        /// Absent: the ID Placeholder.
        unique_identifier: opt UniqueIdentifierRef = UniqueIdentifier,
    }
}

kmip_struct! {
    pub struct ActivateResponse {
        unique_identifier: one String = UniqueIdentifier,
    }
}

kmip_struct! {
    pub struct DestroyRequest {
        /// Absent: the ID Placeholder.
        unique_identifier: opt UniqueIdentifierRef = UniqueIdentifier,
    }
}

kmip_struct! {
    pub struct DestroyResponse {
        unique_identifier: one String = UniqueIdentifier,
    }
}

kmip_struct! {
    pub struct ArchiveRequest {
        /// Absent: the ID Placeholder.
        unique_identifier: opt UniqueIdentifierRef = UniqueIdentifier,
    }
}

kmip_struct! {
    pub struct ArchiveResponse {
        unique_identifier: one String = UniqueIdentifier,
    }
}

kmip_struct! {
    pub struct RecoverRequest {
        /// Absent: the ID Placeholder.
        unique_identifier: opt UniqueIdentifierRef = UniqueIdentifier,
    }
}

kmip_struct! {
    pub struct RecoverResponse {
        unique_identifier: one String = UniqueIdentifier,
    }
}
