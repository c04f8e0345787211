//! Signature Verify (2.1 §6.1.56, 1.4 §4.32; KMIP 1.2 and later).

use keyward_ttlv::enums::ValidityIndicator;

use crate::attributes::CryptographicParameters;
use crate::codec::Bytes;
use crate::identifiers::UniqueIdentifierRef;
use crate::kmip_struct;
use crate::payloads::common::DataRef;

kmip_struct! {
    pub struct SignatureVerifyRequest {
        /// The public key; absent: the ID Placeholder.
        unique_identifier: opt UniqueIdentifierRef = UniqueIdentifier,
        cryptographic_parameters: opt CryptographicParameters = CryptographicParameters,
        /// The data that was signed.
        data: opt DataRef = Data,
        /// KMIP 1.4 and later: its digest instead.
        digested_data: opt Bytes = DigestedData,
        /// Required for a single-part operation.
        signature_data: opt Bytes = SignatureData,
        correlation_value: opt Bytes = CorrelationValue,
        init_indicator: opt bool = InitIndicator,
        final_indicator: opt bool = FinalIndicator,
    }
}

kmip_struct! {
    pub struct SignatureVerifyResponse {
        unique_identifier: one String = UniqueIdentifier,
        /// Required in 1.x; in 2.x for a single-part operation only.
        validity_indicator: opt ValidityIndicator = ValidityIndicator,
        /// The data recovered from the signature, for the algorithms that allow it.
        data: opt Bytes = Data,
        correlation_value: opt Bytes = CorrelationValue,
    }
}
