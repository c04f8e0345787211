//! Hash (2.1 §6.1.24, 1.4 §4.37; KMIP 1.2 and later): a digest computed by the server.

use crate::attributes::CryptographicParameters;
use crate::codec::Bytes;
use crate::kmip_struct;
use crate::payloads::common::DataRef;

kmip_struct! {
    pub struct HashRequest {
        /// The Hashing Algorithm to use.
        cryptographic_parameters: one CryptographicParameters = CryptographicParameters,
        /// Required for a single-part operation.
        data: opt DataRef = Data,
        correlation_value: opt Bytes = CorrelationValue,
        init_indicator: opt bool = InitIndicator,
        final_indicator: opt bool = FinalIndicator,
    }
}

kmip_struct! {
    pub struct HashResponse {
        /// The digest; required for a single-part operation.
        data: opt Bytes = Data,
        correlation_value: opt Bytes = CorrelationValue,
    }
}
