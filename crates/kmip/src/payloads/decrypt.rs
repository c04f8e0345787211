//! Decrypt (2.1 §6.1.11, 1.4 §4.30; KMIP 1.2 and later), in one part or streamed over several
//! requests (1.3 and later) tied by a Correlation Value.

use crate::attributes::CryptographicParameters;
use crate::codec::Bytes;
use crate::identifiers::UniqueIdentifierRef;
use crate::kmip_struct;
use crate::payloads::common::DataRef;

kmip_struct! {
    pub struct DecryptRequest {
        /// The key; absent: the ID Placeholder.
        unique_identifier: opt UniqueIdentifierRef = UniqueIdentifier,
        /// Absent: those of the key.
        cryptographic_parameters: opt CryptographicParameters = CryptographicParameters,
        /// Required for a single-part operation.
        data: opt DataRef = Data,
        iv_counter_nonce: opt Bytes = IVCounterNonce,
        /// The stream this part continues, as an earlier response returned it.
        correlation_value: opt Bytes = CorrelationValue,
        init_indicator: opt bool = InitIndicator,
        final_indicator: opt bool = FinalIndicator,
        /// KMIP 1.4 and later.
        authenticated_encryption_additional_data: opt Bytes = AuthenticatedEncryptionAdditionalData,
        /// KMIP 1.4 and later: the tag to verify.
        authenticated_encryption_tag: opt Bytes = AuthenticatedEncryptionTag,
    }
}

kmip_struct! {
    pub struct DecryptResponse {
        unique_identifier: one String = UniqueIdentifier,
        /// Required in 1.2; 2.x may leave it out (a streamed part with nothing to return yet).
        data: opt Bytes = Data,
        correlation_value: opt Bytes = CorrelationValue,
    }
}
