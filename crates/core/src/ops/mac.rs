//! MAC: not implemented yet.

use keyward_kmip::enums::Operation;
use keyward_kmip::payloads::mac::{MacRequest, MacResponse};

use crate::context::Context;
use crate::error::{OpError, OpResult};

pub(crate) fn run(_cx: &mut Context<'_>, _request: &MacRequest) -> OpResult<MacResponse> {
    Err(OpError::OperationNotSupported(Operation::MAC))
}
