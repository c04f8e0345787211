//! RNG Seed (2.1 §6.1.50, 1.4 §4.36): seed material for the server's generator, the HMAC_DRBG
//! RNG Retrieve draws from (keyward_crypto::random::SeededGenerator). The seed is mixed in with
//! fresh system entropy, never in its place. "The response contains the amount of seed data used"
//! (1.4 §4.36): every byte up to `MAX_SEED_LEN`, the rest being ignored as the clause allows.

use keyward_kmip::payloads::rng_seed::{RngSeedRequest, RngSeedResponse};

use crate::context::Context;
use crate::crypto::failure;
use crate::error::OpResult;

pub(crate) fn run(cx: &mut Context<'_>, request: &RngSeedRequest) -> OpResult<RngSeedResponse> {
    let seed = cx.data_input(&request.data)?;
    let used = cx.generator.seed(&seed).map_err(failure)?;
    Ok(RngSeedResponse { data_length: i32::try_from(used).unwrap_or(i32::MAX) })
}
