//! Hash (2.1 §6.1.24, 1.4 §4.37): a digest (SHA-1, SHA-2, SHA-3) computed by the server, over data
//! in one request or in several (1.3 and later). No key is involved.

use keyward_crypto::hash::{self, Hasher};
use keyward_kmip::enums::Data as DataKind;
use keyward_kmip::payloads::hash::{HashRequest, HashResponse};

use crate::context::Context;
use crate::crypto::mapping;
use crate::crypto::multipart::{self, Part};
use crate::error::OpResult;

pub(crate) fn run(cx: &mut Context<'_>, request: &HashRequest) -> OpResult<HashResponse> {
    let part = Part::of(request.init_indicator, request.final_indicator, request.correlation_value.as_ref())?;
    let data = multipart::data(cx, request.data.as_ref(), &part)?;
    let mut hasher = if part.continues() {
        multipart::take::<HashStream>(cx, &part)?.0
    } else {
        let algorithm = mapping::digest_algorithm(&request.cryptographic_parameters)?;
        if part == Part::Whole {
            let digest = hash::hash(algorithm, &data);
            return Ok(HashResponse { data: cx.data_output(DataKind::Hash, digest), correlation_value: None });
        }
        Hasher::new(algorithm)
    };
    hasher.update(&data);
    if part.ends() {
        return Ok(HashResponse { data: cx.data_output(DataKind::Hash, hasher.finish()), correlation_value: None });
    }
    let correlation = multipart::keep(cx, &part, HashStream(hasher))?;
    Ok(HashResponse { data: None, correlation_value: Some(correlation) })
}

/// A digest waiting for its next part (a type of its own, so that the Correlation Value of
/// another operation cannot be taken for one).
struct HashStream(Hasher);
