//! Encrypt (2.1 §6.1.17, 1.4 §4.29; KMIP 1.2 and later), in one part or streamed over several
//! requests (1.3 and later) tied by a Correlation Value.

use crate::attributes::CryptographicParameters;
use crate::codec::Bytes;
use crate::identifiers::UniqueIdentifierRef;
use crate::kmip_struct;
use crate::payloads::common::DataRef;

kmip_struct! {
    pub struct EncryptRequest {
        /// The key; absent: the ID Placeholder.
        unique_identifier: opt UniqueIdentifierRef = UniqueIdentifier,
        /// Absent: those of the key.
        cryptographic_parameters: opt CryptographicParameters = CryptographicParameters,
        /// Required for a single-part operation.
        data: opt DataRef = Data,
        iv_counter_nonce: opt Bytes = IVCounterNonce,
        /// The stream this part continues, as an earlier response returned it.
        correlation_value: opt Bytes = CorrelationValue,
        /// This is the first part of a stream.
        init_indicator: opt bool = InitIndicator,
        /// This is the last part of a stream.
        final_indicator: opt bool = FinalIndicator,
        /// KMIP 1.4 and later.
        authenticated_encryption_additional_data: opt Bytes = AuthenticatedEncryptionAdditionalData,
    }
}

kmip_struct! {
    pub struct EncryptResponse {
        unique_identifier: one String = UniqueIdentifier,
        /// Required in 1.2; 2.x may leave it out (a streamed part with nothing to return yet).
        data: opt Bytes = Data,
        /// The IV the server generated, when the client asked for a random one.
        iv_counter_nonce: opt Bytes = IVCounterNonce,
        correlation_value: opt Bytes = CorrelationValue,
        /// KMIP 1.4 and later, for authenticated encryption, at the end of the operation.
        authenticated_encryption_tag: opt Bytes = AuthenticatedEncryptionTag,
    }
}
