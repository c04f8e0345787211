//! Cancel (2.1 §6.1.5, 1.4 §4.27): cancels an operation answered Operation Pending that no Poll
//! has started (see `crate::asynchronous` for each Cancellation Result it answers).

use keyward_kmip::payloads::cancel::{CancelRequest, CancelResponse};

use crate::context::Context;
use crate::error::OpResult;

pub(crate) fn run(cx: &mut Context<'_>, request: &CancelRequest) -> OpResult<CancelResponse> {
    let correlation = &request.asynchronous_correlation_value;
    let cancellation_result = cx.asynchronous.cancel(&cx.client.name, correlation.as_slice())?;
    Ok(CancelResponse { asynchronous_correlation_value: correlation.clone(), cancellation_result })
}
