//! Obtain Lease (2.1 §6.1.35, 1.4 §4.17, 1.0 §4.16): how long the client may use the object
//! before it must check back.
//!
//! The lease is the object's Lease Time (one hour when it has none), "the maximum Lease Time [the
//! server] is able to serve" (1.0 §3.15), and never runs past the object's Deactivation Date, so
//! that the client checks back when the object may no longer protect. A lease of zero would mean
//! "no lease interval is effective, and the client MAY use the object without any lease time
//! limit", the opposite of what an object past its Deactivation Date should be told; so an object
//! that is not Active gets no lease at all: "If the server determines that a new lease SHALL NOT
//! be issued ... the server SHALL respond to the Obtain Lease request with an error", Permission
//! Denied (1.4 Table 344; 2.1 Table 270 lists no lifecycle reason). Objects without a State
//! (1.x Templates) are not used for cryptography and get their lease.

use keyward_kmip::attributes::Attribute;
use keyward_kmip::codec::{DateTime, Interval};
use keyward_kmip::enums::State;
use keyward_kmip::payloads::obtain_lease::{ObtainLeaseRequest, ObtainLeaseResponse};

use crate::attributes::find;
use crate::context::Context;
use crate::error::{OpError, OpResult};
use crate::lifecycle::effective_state;
use crate::ops::readable;

/// The lease granted to objects that carry no Lease Time of their own.
const DEFAULT_LEASE_SECONDS: u32 = 3600;

pub(crate) fn run(cx: &mut Context<'_>, request: &ObtainLeaseRequest) -> OpResult<ObtainLeaseResponse> {
    let stored = cx.load_ref(request.unique_identifier.as_ref())?;
    readable(&stored)?;
    let has_state = find(&stored, |a| matches!(a, Attribute::State(_)).then_some(())).is_some();
    let state = effective_state(&stored, cx.now);
    if has_state && state != State::Active {
        return Err(OpError::PermissionDenied(format!("no lease is issued for an object in state {state:?}")));
    }
    let maximum = find(&stored, |a| if let Attribute::LeaseTime(l) = a { Some(*l) } else { None })
        .unwrap_or(Interval(DEFAULT_LEASE_SECONDS));
    let deactivation = find(&stored, |a| if let Attribute::DeactivationDate(d) = a { Some(d.seconds()) } else { None });
    // An Active object's Deactivation Date is in the future, so the lease stays above zero.
    let until_deactivation = deactivation.map(|d| u32::try_from(d.saturating_sub(cx.now).max(1)).unwrap_or(u32::MAX));
    // A Lease Time of zero is no limit, which the Deactivation Date still bounds.
    let lease_time = Interval(match (until_deactivation, maximum.0) {
        (Some(left), 0) => left,
        (Some(left), maximum) => left.min(maximum),
        (None, maximum) => maximum,
    });
    let last_change_date = find(&stored, |a| if let Attribute::LastChangeDate(d) = a { Some(*d) } else { None })
        .unwrap_or(DateTime(cx.now));
    cx.set_placeholder(Some(stored.unique_identifier.clone()));
    Ok(ObtainLeaseResponse { unique_identifier: stored.unique_identifier, lease_time, last_change_date })
}
