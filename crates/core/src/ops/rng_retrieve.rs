//! RNGRetrieve: not implemented yet.

use keyward_kmip::enums::Operation;
use keyward_kmip::payloads::rng_retrieve::{RngRetrieveRequest, RngRetrieveResponse};

use crate::context::Context;
use crate::error::{OpError, OpResult};

pub(crate) fn run(_cx: &mut Context<'_>, _request: &RngRetrieveRequest) -> OpResult<RngRetrieveResponse> {
    Err(OpError::OperationNotSupported(Operation::RNGRetrieve))
}
