//! Check (2.1 §6.1.6, 1.4 §4.10): would the object allow this use? Success echoes what was
//! asked; a usage mask the object lacks, or a usage count beyond its limits, fails.

use keyward_kmip::attributes::Attribute;
use keyward_kmip::payloads::check::{CheckRequest, CheckResponse};

use crate::attributes::find;
use crate::context::Context;
use crate::error::{OpError, OpResult};
use crate::ops::readable;

pub(crate) fn run(cx: &mut Context<'_>, request: &CheckRequest) -> OpResult<CheckResponse> {
    let stored = cx.load_ref(request.unique_identifier.as_ref())?;
    readable(&stored)?;
    if let Some(asked) = request.cryptographic_usage_mask {
        let mask = find(&stored, |a| if let Attribute::CryptographicUsageMask(m) = a { Some(*m) } else { None });
        if !mask.is_some_and(|m| m.contains(asked)) {
            return Err(OpError::IncompatibleUsageMask(format!("{asked:?}")));
        }
    }
    if let Some(count) = request.usage_limits_count {
        let limits = find(&stored, |a| if let Attribute::UsageLimits(l) = a { Some(l.clone()) } else { None });
        if let Some(limits) = limits {
            let remaining = limits.usage_limits_count.unwrap_or(limits.usage_limits_total);
            if count > remaining {
                return Err(OpError::PermissionDenied(format!("{count} uses asked, {remaining} left")));
            }
        }
    }
    cx.set_placeholder(Some(stored.unique_identifier.clone()));
    // The other fields are returned only where the value asked exceeds what the server allows
    // (2.1 §6.1.6), which is a failure here: a successful Check returns the identifier alone.
    Ok(CheckResponse {
        unique_identifier: Some(stored.unique_identifier),
        usage_limits_count: None,
        cryptographic_usage_mask: None,
        lease_time: None,
    })
}
