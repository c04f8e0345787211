//! Revoke (2.1 §6.1.45, 1.4 §4.20): a compromise makes the object Compromised (with its
//! Compromise Date and Compromise Occurrence Date); any other reason deactivates it.

use keyward_kmip::payloads::revoke::{RevokeRequest, RevokeResponse};

use crate::context::Context;
use crate::error::OpResult;
use crate::lifecycle;

pub(crate) fn run(cx: &mut Context<'_>, request: &RevokeRequest) -> OpResult<RevokeResponse> {
    let mut stored = cx.load_ref(request.unique_identifier.as_ref())?;
    lifecycle::revoke(&mut stored, request.revocation_reason.clone(), request.compromise_occurrence_date, cx.now)?;
    let uid = stored.unique_identifier.clone();
    cx.update(stored);
    cx.set_placeholder(Some(uid.clone()));
    Ok(RevokeResponse { unique_identifier: uid })
}
