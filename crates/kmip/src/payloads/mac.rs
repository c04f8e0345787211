//! MAC (2.1 §6.1.32, 1.4 §4.33; KMIP 1.2 and later).

use crate::attributes::CryptographicParameters;
use crate::codec::Bytes;
use crate::identifiers::UniqueIdentifierRef;
use crate::kmip_struct;
use crate::payloads::common::DataRef;

kmip_struct! {
    pub struct MacRequest {
        /// The key; absent: the ID Placeholder.
        unique_identifier: opt UniqueIdentifierRef = UniqueIdentifier,
        cryptographic_parameters: opt CryptographicParameters = CryptographicParameters,
        /// Required for a single-part operation.
        data: opt DataRef = Data,
        correlation_value: opt Bytes = CorrelationValue,
        init_indicator: opt bool = InitIndicator,
        final_indicator: opt bool = FinalIndicator,
    }
}

kmip_struct! {
    pub struct MacResponse {
        unique_identifier: one String = UniqueIdentifier,
        /// Required for a single-part operation.
        mac_data: opt Bytes = MACData,
        correlation_value: opt Bytes = CorrelationValue,
    }
}
