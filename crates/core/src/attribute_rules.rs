//! Whether a client may add, change or delete an attribute of an existing object, beyond the
//! static rules of the attribute table: some dates may only change in some states (2.1 §4.1,
//! §4.18, §4.40, §4.41), and server (`y-`) custom attributes are never the client's.

use keyward_kmip::attributes::Attribute;
use keyward_kmip::enums::State;

use crate::error::{OpError, OpResult};

/// The change a client asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Add,
    Modify,
    Delete,
}

/// Checks a client's change of `attribute` on an object in `state`.
pub fn check(attribute: &Attribute, change: Change, state: State) -> OpResult<()> {
    let rules = attribute.rules();
    let allowed = match change {
        Change::Add => rules.client_adds,
        Change::Modify => rules.client_modifies,
        Change::Delete => rules.client_deletes,
    };
    if !allowed {
        return Err(OpError::ReadOnlyAttribute(attribute.reference().name()));
    }
    let state_allows = match attribute {
        Attribute::ActivationDate(_) => state == State::PreActive,
        Attribute::DeactivationDate(_) | Attribute::ProcessStartDate(_) | Attribute::ProtectStopDate(_) => {
            matches!(state, State::PreActive | State::Active)
        }
        _ => true,
    };
    if !state_allows && change != Change::Add {
        return Err(OpError::WrongState(format!("{} cannot change in state {state:?}", attribute.reference().name())));
    }
    Ok(())
}
