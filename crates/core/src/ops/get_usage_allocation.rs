//! Get Usage Allocation (2.1 §6.1.24, 1.4 §4.18): reserves uses of an object with Usage Limits,
//! taking them from its remaining count.

use keyward_kmip::attributes::Attribute;
use keyward_kmip::payloads::get_usage_allocation::{GetUsageAllocationRequest, GetUsageAllocationResponse};

use crate::attributes::{find, set};
use crate::context::Context;
use crate::error::{OpError, OpResult};
use crate::ops::readable;

pub(crate) fn run(cx: &mut Context<'_>, request: &GetUsageAllocationRequest) -> OpResult<GetUsageAllocationResponse> {
    let mut stored = cx.load_ref(request.unique_identifier.as_ref())?;
    readable(&stored)?;
    let mut limits = find(&stored, |a| if let Attribute::UsageLimits(l) = a { Some(l.clone()) } else { None })
        .ok_or_else(|| OpError::IllegalOperation("the object has no Usage Limits".into()))?;
    let remaining = limits.usage_limits_count.unwrap_or(limits.usage_limits_total);
    if request.usage_limits_count <= 0 || request.usage_limits_count > remaining {
        return Err(OpError::PermissionDenied(format!("{} uses asked, {remaining} left", request.usage_limits_count)));
    }
    limits.usage_limits_count = Some(remaining - request.usage_limits_count);
    set(&mut stored, Attribute::UsageLimits(limits));
    let uid = stored.unique_identifier.clone();
    cx.update(stored);
    cx.set_placeholder(Some(uid.clone()));
    Ok(GetUsageAllocationResponse { unique_identifier: uid })
}
