//! Cancel (2.1 §6.1.7, 1.4 §4.24): nothing is ever pending on this server, so nothing can be
//! canceled.

use keyward_kmip::payloads::cancel::{CancelRequest, CancelResponse};

use crate::context::Context;
use crate::error::{OpError, OpResult};

pub(crate) fn run(_cx: &mut Context<'_>, _request: &CancelRequest) -> OpResult<CancelResponse> {
    Err(OpError::UnknownCorrelationValue)
}
