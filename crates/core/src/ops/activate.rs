//! Activate (2.1 §6.1.1, 1.4 §4.19): Pre-Active to Active, now.

use keyward_kmip::payloads::lifecycle::{ActivateRequest, ActivateResponse};

use crate::context::Context;
use crate::error::OpResult;
use crate::lifecycle;
use crate::ops::not_destroyed;

pub(crate) fn run(cx: &mut Context<'_>, request: &ActivateRequest) -> OpResult<ActivateResponse> {
    let mut stored = cx.load_ref(request.unique_identifier.as_ref())?;
    not_destroyed(&stored)?;
    lifecycle::activate(&mut stored, cx.now)?;
    let uid = stored.unique_identifier.clone();
    cx.update(stored);
    cx.set_placeholder(Some(uid.clone()));
    Ok(ActivateResponse { unique_identifier: uid })
}
