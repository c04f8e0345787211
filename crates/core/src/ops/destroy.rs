//! Destroy (2.1 §6.1.16, 1.4 §4.21): the key material is erased for good; the metadata stays, in
//! state Destroyed or Destroyed Compromised. An Active object must be revoked first.

use keyward_kmip::payloads::lifecycle::{DestroyRequest, DestroyResponse};

use crate::context::Context;
use crate::error::OpResult;
use crate::lifecycle;

pub(crate) fn run(cx: &mut Context<'_>, request: &DestroyRequest) -> OpResult<DestroyResponse> {
    let mut stored = cx.load_ref(request.unique_identifier.as_ref())?;
    lifecycle::destroy(&mut stored, cx.now)?;
    let uid = stored.unique_identifier.clone();
    cx.update(stored);
    cx.set_placeholder(Some(uid.clone()));
    Ok(DestroyResponse { unique_identifier: uid })
}
