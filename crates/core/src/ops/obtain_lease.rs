//! Obtain Lease (2.1 §6.1.32, 1.4 §4.17): how long the client may use the object before it must
//! check back. This server grants the object's Lease Time, or a default of one hour.

use keyward_kmip::attributes::Attribute;
use keyward_kmip::codec::{DateTime, Interval};
use keyward_kmip::payloads::obtain_lease::{ObtainLeaseRequest, ObtainLeaseResponse};

use crate::attributes::find;
use crate::context::Context;
use crate::error::OpResult;
use crate::ops::readable;

/// The lease granted to objects that carry no Lease Time of their own.
const DEFAULT_LEASE_SECONDS: u32 = 3600;

pub(crate) fn run(cx: &mut Context<'_>, request: &ObtainLeaseRequest) -> OpResult<ObtainLeaseResponse> {
    let stored = cx.load_ref(request.unique_identifier.as_ref())?;
    readable(&stored)?;
    let lease_time = find(&stored, |a| if let Attribute::LeaseTime(l) = a { Some(*l) } else { None })
        .unwrap_or(Interval(DEFAULT_LEASE_SECONDS));
    let last_change_date = find(&stored, |a| if let Attribute::LastChangeDate(d) = a { Some(*d) } else { None })
        .unwrap_or(DateTime(cx.now));
    cx.set_placeholder(Some(stored.unique_identifier.clone()));
    Ok(ObtainLeaseResponse { unique_identifier: stored.unique_identifier, lease_time, last_change_date })
}
