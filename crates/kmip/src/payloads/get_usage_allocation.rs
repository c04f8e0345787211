//! Get Usage Allocation (2.1 §6.1.23, 1.4 §4.18): reserves part of an object's Usage Limits.

use crate::identifiers::UniqueIdentifierRef;
use crate::kmip_struct;

kmip_struct! {
    pub struct GetUsageAllocationRequest {
        /// Absent: the ID Placeholder.
        unique_identifier: opt UniqueIdentifierRef = UniqueIdentifier,
        /// How many Usage Limits Units to reserve.
        usage_limits_count: one i64 = UsageLimitsCount,
    }
}

kmip_struct! {
    pub struct GetUsageAllocationResponse {
        unique_identifier: one String = UniqueIdentifier,
    }
}
