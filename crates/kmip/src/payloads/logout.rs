//! Logout (2.1 §6.1.31; KMIP 2.x): invalidates a ticket.

use crate::kmip_struct;
use crate::payloads::access::Ticket;

kmip_struct! {
    pub struct LogoutRequest {
        ticket: one Ticket = Ticket,
    }
}

kmip_struct! {
    pub struct LogoutResponse {}
}
