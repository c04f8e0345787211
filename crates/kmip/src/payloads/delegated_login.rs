//! Delegated Login (2.1 §6.1.12; KMIP 2.x): a ticket carrying some of the client's rights, for
//! another party.

use crate::attributes::UsageLimits;
use crate::codec::Interval;
use crate::kmip_struct;
use crate::payloads::access::{Rights, Ticket};

kmip_struct! {
    pub struct DelegatedLoginRequest {
        lease_time: opt Interval = LeaseTime,
        /// How many requests the ticket may be used for.
        request_count: opt i32 = RequestCount,
        usage_limits: opt UsageLimits = UsageLimits,
        /// What the holder of the ticket may do.
        rights: one Rights = Rights,
    }
}

kmip_struct! {
    pub struct DelegatedLoginResponse {
        ticket: one Ticket = Ticket,
    }
}
