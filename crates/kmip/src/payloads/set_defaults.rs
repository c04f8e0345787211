//! Set Defaults (2.1 §6.1.53; KMIP 2.1): the attributes the server gives new objects when the
//! client does not.

use crate::kmip_struct;
use crate::payloads::query_types::DefaultsInformation;

kmip_struct! {
    pub struct SetDefaultsRequest {
        /// Absent: remove the defaults set before, back to the server's own.
        defaults_information: opt DefaultsInformation = DefaultsInformation,
    }
}

kmip_struct! {
    pub struct SetDefaultsResponse {}
}
