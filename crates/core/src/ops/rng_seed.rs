//! RNG Seed (2.1 §6.1.50, 1.4 §4.36): seed material for the server's generator. aws-lc seeds and
//! reseeds its DRBG from the operating system and offers no safe way to mix in a client's bytes,
//! so the seed is accepted and not used, and the response says so with a Data Length of zero:
//! "The server MAY elect to ignore the information provided by the client ... and MAY indicate
//! this to the client by returning zero as the value in the Data Length" (1.4 §4.36).

use keyward_kmip::payloads::rng_seed::{RngSeedRequest, RngSeedResponse};

use crate::context::Context;
use crate::error::OpResult;

pub(crate) fn run(cx: &mut Context<'_>, request: &RngSeedRequest) -> OpResult<RngSeedResponse> {
    let seed = cx.data_input(&request.data)?;
    let used = keyward_crypto::random::seed(&seed);
    Ok(RngSeedResponse { data_length: i32::try_from(used).unwrap_or(i32::MAX) })
}
