//! May this object be used for this cryptographic purpose now? The state, the usage mask and the
//! protection dates decide (KMIP 2.1 §4.57 "State", §4.17 "Cryptographic Usage Mask", §4.40 and
//! §4.41).
//!
//! Applying protection (encrypt, sign, MAC, wrap, derive) needs an Active object within its
//! protection period. Processing protected data (decrypt, verify, unwrap) is also allowed to a
//! Deactivated or Compromised object, as the specification permits, after its Process Start Date.

use keyward_kmip::attributes::Attribute;
use keyward_kmip::enums::State;
use keyward_kmip::masks::CryptographicUsageMask;
use keyward_store::StoredObject;

use crate::attributes::find;
use crate::error::{OpError, OpResult};
use crate::lifecycle::effective_state;

/// Whether a use applies protection or processes protected data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Protect,
    Process,
}

/// A cryptographic use of an object: the usage-mask bit it needs, and its purpose.
#[derive(Clone, Copy, Debug)]
pub struct Use {
    pub mask: CryptographicUsageMask,
    pub purpose: Purpose,
}

impl Use {
    pub const ENCRYPT: Use = Use { mask: CryptographicUsageMask::Encrypt, purpose: Purpose::Protect };
    pub const DECRYPT: Use = Use { mask: CryptographicUsageMask::Decrypt, purpose: Purpose::Process };
    pub const SIGN: Use = Use { mask: CryptographicUsageMask::Sign, purpose: Purpose::Protect };
    pub const VERIFY: Use = Use { mask: CryptographicUsageMask::Verify, purpose: Purpose::Process };
    pub const MAC_GENERATE: Use = Use { mask: CryptographicUsageMask::MACGenerate, purpose: Purpose::Protect };
    pub const MAC_VERIFY: Use = Use { mask: CryptographicUsageMask::MACVerify, purpose: Purpose::Process };
    pub const WRAP: Use = Use { mask: CryptographicUsageMask::WrapKey, purpose: Purpose::Protect };
    pub const UNWRAP: Use = Use { mask: CryptographicUsageMask::UnwrapKey, purpose: Purpose::Process };
    pub const DERIVE: Use = Use { mask: CryptographicUsageMask::DeriveKey, purpose: Purpose::Protect };
}

/// Refuses a use the object's state, usage mask or dates do not allow.
pub fn check(object: &StoredObject, wanted: Use, now: i64) -> OpResult<()> {
    let state = effective_state(object, now);
    let state_allows = matches!(
        (state, wanted.purpose),
        (State::Active, _) | (State::Deactivated | State::Compromised, Purpose::Process)
    );
    if !state_allows {
        let what = if wanted.purpose == Purpose::Protect { "apply protection" } else { "process" };
        return Err(OpError::WrongState(format!("an object in state {state:?} cannot {what}")));
    }
    let mask = find(object, |a| if let Attribute::CryptographicUsageMask(m) = a { Some(*m) } else { None });
    if !mask.is_some_and(|m| m.contains(wanted.mask)) {
        return Err(OpError::IncompatibleUsageMask(format!("{:?}", wanted.mask)));
    }
    let date = |select: fn(&Attribute) -> Option<i64>| find(object, select);
    match wanted.purpose {
        Purpose::Process => {
            let start = date(|a| if let Attribute::ProcessStartDate(d) = a { Some(d.seconds()) } else { None });
            if start.is_some_and(|s| now < s) {
                return Err(OpError::WrongState("the Process Start Date has not come".into()));
            }
        }
        Purpose::Protect => {
            let stop = date(|a| if let Attribute::ProtectStopDate(d) = a { Some(d.seconds()) } else { None });
            if stop.is_some_and(|s| now > s) {
                return Err(OpError::WrongState("the Protect Stop Date has passed".into()));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_kmip::DateTime;
    use keyward_kmip::attributes::IndexedAttribute;

    fn key(state: State, mask: CryptographicUsageMask, extra: Vec<Attribute>) -> StoredObject {
        let mut attributes = vec![
            IndexedAttribute::new(Attribute::State(state)),
            IndexedAttribute::new(Attribute::CryptographicUsageMask(mask)),
        ];
        attributes.extend(extra.into_iter().map(IndexedAttribute::new));
        StoredObject { unique_identifier: "k".into(), owner: "o".into(), object: None, attributes, revision: 1 }
    }

    #[test]
    fn only_an_active_key_protects() {
        let both = CryptographicUsageMask::Encrypt | CryptographicUsageMask::Decrypt;
        assert!(check(&key(State::Active, both, vec![]), Use::ENCRYPT, 0).is_ok());
        for state in [State::PreActive, State::Deactivated, State::Compromised, State::Destroyed] {
            assert!(
                matches!(check(&key(state, both, vec![]), Use::ENCRYPT, 0), Err(OpError::WrongState(_))),
                "{state:?}"
            );
        }
    }

    #[test]
    fn a_deactivated_or_compromised_key_still_processes() {
        let both = CryptographicUsageMask::Encrypt | CryptographicUsageMask::Decrypt;
        for state in [State::Active, State::Deactivated, State::Compromised] {
            assert!(check(&key(state, both, vec![]), Use::DECRYPT, 0).is_ok(), "{state:?}");
        }
        assert!(check(&key(State::PreActive, both, vec![]), Use::DECRYPT, 0).is_err());
    }

    #[test]
    fn the_usage_mask_and_dates_are_enforced() {
        let encrypt = CryptographicUsageMask::Encrypt;
        assert!(matches!(
            check(&key(State::Active, encrypt, vec![]), Use::SIGN, 0),
            Err(OpError::IncompatibleUsageMask(_))
        ));
        let stopped = key(State::Active, encrypt, vec![Attribute::ProtectStopDate(DateTime(10))]);
        assert!(check(&stopped, Use::ENCRYPT, 5).is_ok());
        assert!(check(&stopped, Use::ENCRYPT, 11).is_err());
    }
}
