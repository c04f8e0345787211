//! The Usage Limits attribute (1.0 §3.16, 1.4 §3.21, 2.1 §4.59) and Get Usage Allocation (1.0
//! §4.17, 1.4 §4.18, 2.1 §6.1.23).
//!
//! The Usage Limits Count is the server's: "When the attribute is initially set ... the Usage
//! Limits Count is set to the Usage Limits Total", the server "SHALL ignore the Usage Limits Count
//! value if the attribute is specified in an operation that creates a new object", and the count
//! "SHALL NOT be set or modified by the client via the Add Attribute or Modify Attribute
//! operations". Allocations (and the server's own charging of Encrypt, Sign, MAC...) decrement it.
//! Once it has moved, the Total "SHALL NOT be changed" and the attribute is no longer the client's
//! to modify or delete.

use keyward_kmip::attributes::{Attribute, UsageLimits};
use keyward_kmip::enums::{ObjectType, State};
use keyward_store::StoredObject;

use crate::attributes::{find, set};
use crate::error::{OpError, OpResult};
use crate::lifecycle::effective_state;

/// A client's Usage Limits as the server records them: the count is the total.
pub fn from_client(attribute: Attribute) -> Attribute {
    match attribute {
        Attribute::UsageLimits(limits) => {
            Attribute::UsageLimits(UsageLimits { usage_limits_count: Some(limits.usage_limits_total), ..limits })
        }
        other => other,
    }
}

/// The object's Usage Limits.
pub fn of(object: &StoredObject) -> Option<UsageLimits> {
    find(object, |a| if let Attribute::UsageLimits(l) = a { Some(l.clone()) } else { None })
}

/// The units still available (an object stored before the count was always set has its total).
pub fn remaining(limits: &UsageLimits) -> i64 {
    limits.usage_limits_count.unwrap_or(limits.usage_limits_total)
}

/// Refuses a client's Modify or Delete of Usage Limits once units have been allocated or used:
/// modifiable and deletable by the client only "as long as Get Usage Allocation has not been
/// performed" (1.0 Table 72, 2.1 Table 149). Read-only from then on: Permission Denied in 1.x
/// (1.4 Table 342, "The specified attribute is read-only"), Attribute Read Only in 2.x.
pub fn check_client_change(object: &StoredObject, attribute: &Attribute) -> OpResult<()> {
    if !matches!(attribute, Attribute::UsageLimits(_)) {
        return Ok(());
    }
    match of(object) {
        Some(limits) if remaining(&limits) != limits.usage_limits_total => {
            Err(OpError::ReadOnlyAttribute("Usage Limits (units have been allocated)".into()))
        }
        _ => Ok(()),
    }
}

/// Get Usage Allocation: takes `count` units from the object's Usage Limits.
pub fn allocate(object: &mut StoredObject, count: i64, now: i64) -> OpResult<()> {
    // Only objects "able to be used for applying protection (e.g., symmetric keys for encryption,
    // private keys for signing, etc.)"; Usage Limits apply to keys (1.0 Table 72).
    let object_type = find(object, |a| if let Attribute::ObjectType(t) = a { Some(*t) } else { None });
    if !matches!(object_type, Some(ObjectType::SymmetricKey | ObjectType::PrivateKey | ObjectType::PublicKey)) {
        return Err(OpError::NotForProtection(format!("a {object_type:?} cannot apply cryptographic protection")));
    }
    let mut limits = of(object).ok_or(OpError::NoUsageLimits)?;
    if count <= 0 {
        return Err(OpError::InvalidField(format!("a Usage Limits Count of {count} allocates nothing")));
    }
    // "The operation SHALL only be requested during the time that protection is enabled for these
    // objects (i.e., after the Activation Date and before the Protect Stop Date)." The error
    // tables have no lifecycle reason for it (1.4 Table 345, 2.1 §6.1.23.1): Permission Denied.
    if effective_state(object, now) != State::Active {
        return Err(OpError::PermissionDenied("only an Active object can be allocated usage".into()));
    }
    let stop = find(object, |a| if let Attribute::ProtectStopDate(d) = a { Some(d.seconds()) } else { None });
    if stop.is_some_and(|stop| now > stop) {
        return Err(OpError::PermissionDenied("the Protect Stop Date has passed".into()));
    }
    let left = remaining(&limits);
    if count > left {
        return Err(OpError::AllocationRefused(format!("{count} units asked, {left} left")));
    }
    // "The server SHALL assume that the entire allocated amount is going to be consumed."
    limits.usage_limits_count = Some(left - count);
    set(object, Attribute::UsageLimits(limits));
    Ok(())
}
