//! Query Asynchronous Requests (2.1 §6.1.41; KMIP 2.1): the asynchronous requests outstanding.

use keyward_ttlv::enums::{Operation, ProcessingStage};

use crate::codec::{Bytes, DateTimeExtended};
use crate::kmip_struct;
use crate::payloads::common::{AsynchronousCorrelationValues, Operations};

kmip_struct! {
    /// Filters: by correlation value, by operation; none means all.
    pub struct QueryAsynchronousRequestsRequest {
        asynchronous_correlation_values: opt AsynchronousCorrelationValues = AsynchronousCorrelationValues,
        operations: opt Operations = Operations,
    }
}

kmip_struct! {
    /// One outstanding request (2.1 §7.2).
    pub struct AsynchronousRequest {
        asynchronous_correlation_value: one Bytes = AsynchronousCorrelationValue,
        operation: one Operation = Operation,
        submission_date: one DateTimeExtended = SubmissionDate,
        processing_stage: one ProcessingStage = ProcessingStage,
    }
}

kmip_struct! {
    pub struct QueryAsynchronousRequestsResponse {
        asynchronous_request: many AsynchronousRequest = AsynchronousRequest,
    }
}
