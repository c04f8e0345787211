//! Recover (2.1 §6.1.44, 1.4 §4.23): an archived object comes back on line.

use keyward_kmip::attributes::AttributeRef;
use keyward_kmip::payloads::lifecycle::{RecoverRequest, RecoverResponse};
use keyward_ttlv::Tag;

use crate::attributes::remove_all;
use crate::context::Context;
use crate::error::OpResult;

pub(crate) fn run(cx: &mut Context<'_>, request: &RecoverRequest) -> OpResult<RecoverResponse> {
    let mut stored = cx.load_ref(request.unique_identifier.as_ref())?;
    remove_all(&mut stored, &AttributeRef::Standard(Tag::ArchiveDate));
    let uid = stored.unique_identifier.clone();
    cx.update(stored);
    cx.set_placeholder(Some(uid.clone()));
    Ok(RecoverResponse { unique_identifier: uid })
}
