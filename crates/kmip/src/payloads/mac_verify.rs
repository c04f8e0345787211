//! MAC Verify (2.1 §6.1.33, 1.4 §4.34; KMIP 1.2 and later).

use keyward_ttlv::enums::ValidityIndicator;

use crate::attributes::CryptographicParameters;
use crate::codec::Bytes;
use crate::identifiers::UniqueIdentifierRef;
use crate::kmip_struct;
use crate::payloads::common::DataRef;

kmip_struct! {
    pub struct MacVerifyRequest {
        /// The key; absent: the ID Placeholder.
        unique_identifier: opt UniqueIdentifierRef = UniqueIdentifier,
        cryptographic_parameters: opt CryptographicParameters = CryptographicParameters,
        /// The data that was MACed.
        data: opt DataRef = Data,
        /// The MAC to verify; required for a single-part operation.
        mac_data: opt Bytes = MACData,
        correlation_value: opt Bytes = CorrelationValue,
        init_indicator: opt bool = InitIndicator,
        final_indicator: opt bool = FinalIndicator,
    }
}

kmip_struct! {
    pub struct MacVerifyResponse {
        unique_identifier: one String = UniqueIdentifier,
        /// Required in 1.x; in 2.x for a single-part operation only.
        validity_indicator: opt ValidityIndicator = ValidityIndicator,
        correlation_value: opt Bytes = CorrelationValue,
    }
}
