//! Sign (2.1 §6.1.55, 1.4 §4.31; KMIP 1.2 and later): a signature of data, or of its digest
//! (1.4 and later).

use crate::attributes::CryptographicParameters;
use crate::codec::Bytes;
use crate::identifiers::UniqueIdentifierRef;
use crate::kmip_struct;
use crate::payloads::common::DataRef;

kmip_struct! {
    pub struct SignRequest {
        /// The private key; absent: the ID Placeholder.
        unique_identifier: opt UniqueIdentifierRef = UniqueIdentifier,
        cryptographic_parameters: opt CryptographicParameters = CryptographicParameters,
        /// Required for a single-part operation, unless the digest is given instead.
        data: opt DataRef = Data,
        /// KMIP 1.4 and later.
        digested_data: opt Bytes = DigestedData,
        correlation_value: opt Bytes = CorrelationValue,
        init_indicator: opt bool = InitIndicator,
        final_indicator: opt bool = FinalIndicator,
    }
}

kmip_struct! {
    pub struct SignResponse {
        unique_identifier: one String = UniqueIdentifier,
        /// Required for a single-part operation.
        signature_data: opt Bytes = SignatureData,
        correlation_value: opt Bytes = CorrelationValue,
    }
}
