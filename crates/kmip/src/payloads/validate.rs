//! Validate (2.1 §6.1.57, 1.4 §4.24): whether a certificate chain is valid.

use keyward_ttlv::enums::ValidityIndicator;

use crate::codec::DateTime;
use crate::identifiers::UniqueIdentifierRef;
use crate::kmip_struct;
use crate::objects::Certificate;

kmip_struct! {
    /// The chain, as certificates given and certificates held by the server.
    pub struct ValidateRequest {
        certificate: many Certificate = Certificate,
        unique_identifier: many UniqueIdentifierRef = UniqueIdentifier,
        /// When the chain needs to be valid; absent: now.
        validity_date: opt DateTime = ValidityDate,
    }
}

kmip_struct! {
    pub struct ValidateResponse {
        validity_indicator: one ValidityIndicator = ValidityIndicator,
    }
}
