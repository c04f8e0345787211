//! RNGSeed: not implemented yet.

use keyward_kmip::enums::Operation;
use keyward_kmip::payloads::rng_seed::{RngSeedRequest, RngSeedResponse};

use crate::context::Context;
use crate::error::{OpError, OpResult};

pub(crate) fn run(_cx: &mut Context<'_>, _request: &RngSeedRequest) -> OpResult<RngSeedResponse> {
    Err(OpError::OperationNotSupported(Operation::RNGSeed))
}
