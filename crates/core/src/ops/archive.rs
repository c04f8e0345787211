//! Archive (2.1 §6.1.5, 1.4 §4.22): the object goes to archival storage; until it is recovered, it
//! is only seen by Locate with the Archival Storage bit, and operations on it fail with Object
//! Archived. The Archive Date marks it.

use keyward_kmip::DateTime;
use keyward_kmip::attributes::Attribute;
use keyward_kmip::payloads::lifecycle::{ArchiveRequest, ArchiveResponse};

use crate::attributes::set;
use crate::context::Context;
use crate::error::OpResult;
use crate::ops::{is_archived, not_destroyed};

pub(crate) fn run(cx: &mut Context<'_>, request: &ArchiveRequest) -> OpResult<ArchiveResponse> {
    let mut stored = cx.load_ref(request.unique_identifier.as_ref())?;
    not_destroyed(&stored)?;
    if !is_archived(&stored) {
        set(&mut stored, Attribute::ArchiveDate(DateTime(cx.now)));
    }
    let uid = stored.unique_identifier.clone();
    cx.update(stored);
    cx.set_placeholder(Some(uid.clone()));
    Ok(ArchiveResponse { unique_identifier: uid })
}
