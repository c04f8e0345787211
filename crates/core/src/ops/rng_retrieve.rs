//! RNG Retrieve (2.1 §6.1.49, 1.4 §4.35): random bytes from the server's generator, the HMAC_DRBG
//! that RNG Seed feeds (keyward_crypto::random::SeededGenerator), itself instantiated and topped
//! up from the system generator.

use keyward_kmip::enums::Data as DataKind;
use keyward_kmip::payloads::rng_retrieve::{RngRetrieveRequest, RngRetrieveResponse};

use crate::context::Context;
use crate::crypto::failure;
use crate::error::{OpError, OpResult};

/// The most bytes one request may retrieve: a response of a megabyte is already a large one.
pub const MAX_RETRIEVE_LEN: usize = 1 << 20;

pub(crate) fn run(cx: &mut Context<'_>, request: &RngRetrieveRequest) -> OpResult<RngRetrieveResponse> {
    let length = usize::try_from(request.data_length).ok().filter(|len| *len <= MAX_RETRIEVE_LEN).ok_or_else(|| {
        OpError::InvalidField(format!("a Data Length of {} (0 to {MAX_RETRIEVE_LEN})", request.data_length))
    })?;
    let random = cx.generator.generate(length).map_err(failure)?;
    // Data is required in this response, so an Ephemeral request still gets it (empty).
    let data = cx.data_output(DataKind::RNGRetrieve, random).unwrap_or_default();
    Ok(RngRetrieveResponse { data })
}
