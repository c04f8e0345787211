//! Login (2.1 §6.1.30; KMIP 2.x): a ticket for the authenticated client.

use crate::attributes::UsageLimits;
use crate::codec::Interval;
use crate::kmip_struct;
use crate::payloads::access::Ticket;

kmip_struct! {
    /// Limits on the ticket asked for.
    pub struct LoginRequest {
        lease_time: opt Interval = LeaseTime,
        /// How many requests the ticket may be used for.
        request_count: opt i32 = RequestCount,
        usage_limits: opt UsageLimits = UsageLimits,
    }
}

kmip_struct! {
    pub struct LoginResponse {
        ticket: one Ticket = Ticket,
    }
}
