//! Cancel (2.1 §6.1.5, 1.4 §4.27): cancels an asynchronous request.

use keyward_ttlv::enums::CancellationResult;

use crate::codec::Bytes;
use crate::kmip_struct;

kmip_struct! {
    pub struct CancelRequest {
        asynchronous_correlation_value: one Bytes = AsynchronousCorrelationValue,
    }
}

kmip_struct! {
    pub struct CancelResponse {
        asynchronous_correlation_value: one Bytes = AsynchronousCorrelationValue,
        cancellation_result: one CancellationResult = CancellationResult,
    }
}
