//! Ping (2.1 §6.1.33; KMIP 2.1): is the server there?

use keyward_kmip::payloads::ping::{PingRequest, PingResponse};

use crate::context::Context;
use crate::error::OpResult;

pub(crate) fn run(_cx: &mut Context<'_>, _request: &PingRequest) -> OpResult<PingResponse> {
    Ok(PingResponse {})
}
