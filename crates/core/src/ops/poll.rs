//! Poll (2.1 §6.1.34, 1.4 §4.25): this server answers every request at once, so there is never an
//! operation to poll for.

use keyward_kmip::payloads::poll::{PollRequest, PollResponse};

use crate::context::Context;
use crate::error::{OpError, OpResult};

pub(crate) fn run(_cx: &mut Context<'_>, _request: &PollRequest) -> OpResult<PollResponse> {
    Err(OpError::UnknownCorrelationValue)
}
