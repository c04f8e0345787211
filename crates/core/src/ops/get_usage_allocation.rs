//! Get Usage Allocation (2.1 §6.1.23, 1.4 §4.18, 1.0 §4.17): reserves units of an object with
//! Usage Limits, taking them from its Usage Limits Count (see `usage_limits::allocate`).

use keyward_kmip::payloads::get_usage_allocation::{GetUsageAllocationRequest, GetUsageAllocationResponse};

use crate::context::Context;
use crate::error::OpResult;
use crate::ops::readable;
use crate::usage_limits;

pub(crate) fn run(cx: &mut Context<'_>, request: &GetUsageAllocationRequest) -> OpResult<GetUsageAllocationResponse> {
    let mut stored = cx.load_ref(request.unique_identifier.as_ref())?;
    readable(&stored)?;
    usage_limits::allocate(&mut stored, request.usage_limits_count, cx.now)?;
    let uid = stored.unique_identifier.clone();
    cx.update(stored);
    cx.set_placeholder(Some(uid.clone()));
    Ok(GetUsageAllocationResponse { unique_identifier: uid })
}
