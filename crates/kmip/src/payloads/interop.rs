//! Interop (2.1 §6.1.26; KMIP 2.x): brackets an interoperability test case, for test servers.

use keyward_ttlv::enums::InteropFunction;

use crate::kmip_struct;

kmip_struct! {
    pub struct InteropRequest {
        /// Begin, End or Reset.
        interop_function: one InteropFunction = InteropFunction,
        /// The test case.
        interop_identifier: one String = InteropIdentifier,
    }
}

kmip_struct! {
    pub struct InteropResponse {}
}
