//! Check (2.1 §6.1.7, 1.4 §4.10): whether an object could be used as the client intends, without
//! using it.

use keyward_ttlv::masks::CryptographicUsageMask;

use crate::codec::Interval;
use crate::identifiers::UniqueIdentifierRef;
use crate::kmip_struct;

kmip_struct! {
    pub struct CheckRequest {
        /// Absent: the ID Placeholder.
        unique_identifier: opt UniqueIdentifierRef = UniqueIdentifier,
        usage_limits_count: opt i64 = UsageLimitsCount,
        cryptographic_usage_mask: opt CryptographicUsageMask = CryptographicUsageMask,
        lease_time: opt Interval = LeaseTime,
    }
}

kmip_struct! {
    /// The fields after the identifier are returned only for the values the server refuses.
    pub struct CheckResponse {
        /// Required, "unless a failure" (1.1 and later): optional so both forms decode.
        unique_identifier: opt String = UniqueIdentifier,
        usage_limits_count: opt i64 = UsageLimitsCount,
        cryptographic_usage_mask: opt CryptographicUsageMask = CryptographicUsageMask,
        lease_time: opt Interval = LeaseTime,
    }
}
