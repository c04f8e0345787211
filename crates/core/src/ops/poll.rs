//! Poll (2.1 §6.1.38, 1.4 §4.28): the result of an operation answered Operation Pending. The
//! operation runs now, in this Poll's batch (see `crate::asynchronous`), and its payload is the
//! Poll's: "identical to the response that would have been sent if the operation had completed
//! synchronously". Its failure is the Poll's failure, with the operation's Result Reason. An
//! operation another Poll is running is still pending (`OpError::StillPending`). When the server
//! gave the dispatcher a worker (`asynchronous::AsyncWorker`), the worker runs the operation and
//! the Poll collects its outcome, or finds it still pending.

use keyward_kmip::codec::Cx;
use keyward_kmip::enums::{ResultReason, ResultStatus};
use keyward_kmip::payloads::poll::{PollRequest, PollResponse};

use crate::asynchronous::Polled;
use crate::context::Context;
use crate::error::{OpError, OpResult};

pub(crate) fn run(cx: &mut Context<'_>, request: &PollRequest) -> OpResult<PollResponse> {
    let correlation = request.asynchronous_correlation_value.as_slice();
    let policy = &cx.services.policy.asynchronous;
    match cx.asynchronous.poll(policy, &cx.client.name, cx.now, correlation)? {
        Polled::Pending => Err(OpError::StillPending),
        // The worker's outcome: its payload, or its failure with the operation's Result Reason.
        Polled::Done(finished) => match (finished.status, finished.payload) {
            (ResultStatus::Success, Some(payload)) => {
                PollResponse::completed(&payload, &Cx::new(cx.version)).map_err(OpError::Model)
            }
            _ => Err(OpError::Relayed {
                reason: finished.reason.unwrap_or(ResultReason::GeneralFailure),
                message: finished.message.unwrap_or_default(),
            }),
        },
        Polled::Run(payload) => {
            // Recorded before it runs: a failure is its result too.
            cx.pending.polled.push(correlation.to_vec());
            let response = super::execute(cx, &payload)?;
            PollResponse::completed(&response, &Cx::new(cx.version)).map_err(OpError::Model)
        }
    }
}
