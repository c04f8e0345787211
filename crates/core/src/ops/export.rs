//! Export: not implemented yet.

use keyward_kmip::enums::Operation;
use keyward_kmip::payloads::export::{ExportRequest, ExportResponse};

use crate::context::Context;
use crate::error::{OpError, OpResult};

pub(crate) fn run(_cx: &mut Context<'_>, _request: &ExportRequest) -> OpResult<ExportResponse> {
    Err(OpError::OperationNotSupported(Operation::Export))
}
