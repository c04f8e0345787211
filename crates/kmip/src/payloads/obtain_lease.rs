//! Obtain Lease (2.1 §6.1.35, 1.4 §4.17): how long a client may use an object before asking again.

use crate::codec::{DateTime, Interval};
use crate::identifiers::UniqueIdentifierRef;
use crate::kmip_struct;

kmip_struct! {
    pub struct ObtainLeaseRequest {
        /// Absent: the ID Placeholder.
        unique_identifier: opt UniqueIdentifierRef = UniqueIdentifier,
    }
}

kmip_struct! {
    pub struct ObtainLeaseResponse {
        unique_identifier: one String = UniqueIdentifier,
        lease_time: one Interval = LeaseTime,
        /// The last change of the object or its attributes, so the client knows whether its copy is current.
        last_change_date: one DateTime = LastChangeDate,
    }
}
