//! Interop (2.1 §6.1.26; KMIP 2.x): the markers an interoperability test sends at the start, end
//! or reset of a test case. The server logs them.

use keyward_kmip::payloads::interop::{InteropRequest, InteropResponse};

use crate::context::Context;
use crate::error::OpResult;

pub(crate) fn run(cx: &mut Context<'_>, request: &InteropRequest) -> OpResult<InteropResponse> {
    tracing::info!(client = %cx.client.name, function = ?request.interop_function, test = %request.interop_identifier, "interop");
    Ok(InteropResponse {})
}
