//! Log (2.1 §6.1.29; KMIP 2.x): a client's message for the server's log.

use keyward_kmip::payloads::log::{LogRequest, LogResponse};

use crate::context::Context;
use crate::error::OpResult;

pub(crate) fn run(cx: &mut Context<'_>, request: &LogRequest) -> OpResult<LogResponse> {
    tracing::info!(client = %cx.client.name, message = %request.log_message, "client log");
    Ok(LogResponse {})
}
