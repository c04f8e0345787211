//! Set Constraints (2.1 §6.1.52; KMIP 2.1): replaces the constraints the server applies.

use crate::kmip_struct;
use crate::payloads::access::Constraints;

kmip_struct! {
    pub struct SetConstraintsRequest {
        constraints: one Constraints = Constraints,
    }
}

kmip_struct! {
    pub struct SetConstraintsResponse {}
}
