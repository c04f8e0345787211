//! Process (2.1 §6.1.39; KMIP 2.1): makes an asynchronous request complete synchronously, so
//! that the next Poll does not answer Pending.

use crate::codec::Bytes;
use crate::kmip_struct;

kmip_struct! {
    pub struct ProcessRequest {
        asynchronous_correlation_value: one Bytes = AsynchronousCorrelationValue,
    }
}

kmip_struct! {
    pub struct ProcessResponse {}
}
