//! Get Constraints (2.1 §6.1.22; KMIP 2.1): the constraints the server applies.

use crate::kmip_struct;
use crate::payloads::access::Constraints;

kmip_struct! {
    pub struct GetConstraintsRequest {}
}

kmip_struct! {
    pub struct GetConstraintsResponse {
        constraints: one Constraints = Constraints,
    }
}
