//! The object state machine (KMIP 2.1 §4.57 "State", 1.4 §3.22).
//!
//! ```text
//!   Pre-Active ──Activate / Activation Date──▶ Active ──Deactivation Date / Revoke──▶ Deactivated
//!       │  └─────────────Revoke (compromise)──────┴──────────────┬────────────────────────┘
//!       │                                                      ▼
//!       │                                                 Compromised
//!   Destroy (not while Active)                                  │ Destroy
//!       ▼                                                      ▼
//!   Destroyed ──Revoke (compromise)──────────────────▶ Destroyed Compromised
//! ```
//!
//! Activation and Deactivation Dates take effect when they arrive, without anyone writing the
//! object: the stored State is brought up to date whenever an object is read ([`refresh`]), and
//! written back with the object's next change.

use keyward_kmip::DateTime;
use keyward_kmip::attributes::{Attribute, RevocationReason};
use keyward_kmip::enums::{RevocationReasonCode, State};
use keyward_store::StoredObject;

use crate::attributes::{find, set};
use crate::error::{OpError, OpResult};

/// The stored State attribute (Pre-Active when absent, which only a corrupt object could be).
pub fn stored_state(object: &StoredObject) -> State {
    find(object, |a| match a {
        Attribute::State(s) => Some(*s),
        _ => None,
    })
    .unwrap_or(State::PreActive)
}

fn date(object: &StoredObject, select: fn(&Attribute) -> Option<DateTime>) -> Option<i64> {
    find(object, select).map(DateTime::seconds)
}

fn activation_date(object: &StoredObject) -> Option<i64> {
    date(object, |a| if let Attribute::ActivationDate(d) = a { Some(*d) } else { None })
}

fn deactivation_date(object: &StoredObject) -> Option<i64> {
    date(object, |a| if let Attribute::DeactivationDate(d) = a { Some(*d) } else { None })
}

/// The state the object is in at `now`, with the dates that have arrived applied.
pub fn effective_state(object: &StoredObject, now: i64) -> State {
    let mut state = stored_state(object);
    if state == State::PreActive && activation_date(object).is_some_and(|d| d <= now) {
        state = State::Active;
    }
    if state == State::Active && deactivation_date(object).is_some_and(|d| d <= now) {
        state = State::Deactivated;
    }
    state
}

/// Applies the dates that have arrived to the stored State; true when it changed.
pub fn refresh(object: &mut StoredObject, now: i64) -> bool {
    let state = effective_state(object, now);
    if state == stored_state(object) {
        return false;
    }
    set(object, Attribute::State(state));
    true
}

/// Activate: Pre-Active to Active, the Activation Date set to now (2.1 §6.1.1).
pub fn activate(object: &mut StoredObject, now: i64) -> OpResult<()> {
    match effective_state(object, now) {
        State::PreActive => {
            set(object, Attribute::State(State::Active));
            set(object, Attribute::ActivationDate(DateTime(now)));
            Ok(())
        }
        other => Err(OpError::WrongState(format!("only a Pre-Active object can be activated; this one is {other:?}"))),
    }
}

/// True for the revocation reasons that mean the key is compromised.
pub fn is_compromise(code: RevocationReasonCode) -> bool {
    code == RevocationReasonCode::KeyCompromise || code == RevocationReasonCode::CACompromise
}

/// Revoke (2.1 §6.1.45): a compromise moves the object to Compromised (or Destroyed Compromised)
/// and records when; any other reason deactivates an Active object.
pub fn revoke(
    object: &mut StoredObject,
    reason: RevocationReason,
    occurred: Option<DateTime>,
    now: i64,
) -> OpResult<()> {
    let state = effective_state(object, now);
    let next = if is_compromise(reason.revocation_reason_code) {
        match state {
            State::PreActive | State::Active | State::Deactivated | State::Compromised => State::Compromised,
            State::Destroyed | State::DestroyedCompromised => State::DestroyedCompromised,
            other => {
                return Err(OpError::WrongState(format!("cannot revoke an object in state {other:?}")));
            }
        }
    } else {
        match state {
            State::Active => State::Deactivated,
            other => {
                return Err(OpError::WrongState(format!(
                    "only an Active object can be revoked for a reason other than compromise; this one is {other:?}"
                )));
            }
        }
    };
    if next == State::Compromised || next == State::DestroyedCompromised {
        set(object, Attribute::CompromiseDate(DateTime(now)));
        let occurred = occurred.unwrap_or(DateTime(now));
        set(object, Attribute::CompromiseOccurrenceDate(occurred));
    } else {
        set(object, Attribute::DeactivationDate(DateTime(now)));
    }
    set(object, Attribute::State(next));
    set(object, Attribute::RevocationReason(reason));
    Ok(())
}

/// Destroy (2.1 §6.1.16): the key material goes, the metadata stays, in state Destroyed (or
/// Destroyed Compromised). An Active object must be revoked first.
pub fn destroy(object: &mut StoredObject, now: i64) -> OpResult<()> {
    let next = match effective_state(object, now) {
        State::PreActive | State::Deactivated => State::Destroyed,
        State::Compromised => State::DestroyedCompromised,
        State::Active => {
            return Err(OpError::WrongState("an Active object cannot be destroyed; revoke it first".into()));
        }
        State::Destroyed | State::DestroyedCompromised => {
            return Err(OpError::AlreadyDestroyed(object.unique_identifier.clone()));
        }
        other => {
            return Err(OpError::WrongState(format!("cannot destroy an object in state {other:?}")));
        }
    };
    object.object = None;
    set(object, Attribute::State(next));
    set(object, Attribute::DestroyDate(DateTime(now)));
    Ok(())
}

/// The state of a new object: Active when its Activation Date has passed (2.1 §4.57, rule 1).
pub fn initial_state(activation_date: Option<DateTime>, now: i64) -> State {
    if activation_date.is_some_and(|d| d.seconds() <= now) { State::Active } else { State::PreActive }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_kmip::attributes::IndexedAttribute;

    fn object(state: State, extra: Vec<Attribute>) -> StoredObject {
        let mut attributes = vec![IndexedAttribute::new(Attribute::State(state))];
        attributes.extend(extra.into_iter().map(IndexedAttribute::new));
        StoredObject { unique_identifier: "k".into(), owner: "o".into(), object: None, attributes, revision: 1 }
    }

    fn reason(code: RevocationReasonCode) -> RevocationReason {
        RevocationReason { revocation_reason_code: code, revocation_message: None }
    }

    #[test]
    fn dates_take_effect_when_they_arrive() {
        let key = object(
            State::PreActive,
            vec![Attribute::ActivationDate(DateTime(100)), Attribute::DeactivationDate(DateTime(200))],
        );
        assert_eq!(effective_state(&key, 99), State::PreActive);
        assert_eq!(effective_state(&key, 100), State::Active);
        assert_eq!(effective_state(&key, 200), State::Deactivated);
        let mut stored = key.clone();
        assert!(refresh(&mut stored, 150));
        assert_eq!(stored_state(&stored), State::Active);
        assert!(!refresh(&mut stored, 160));
    }

    #[test]
    fn activation_only_from_pre_active() {
        let mut key = object(State::PreActive, vec![]);
        activate(&mut key, 10).unwrap();
        assert_eq!(stored_state(&key), State::Active);
        assert!(matches!(activate(&mut key, 11), Err(OpError::WrongState(_))));
    }

    #[test]
    fn revocation_follows_the_reason() {
        let mut key = object(State::Active, vec![]);
        revoke(&mut key, reason(RevocationReasonCode::CessationOfOperation), None, 10).unwrap();
        assert_eq!(stored_state(&key), State::Deactivated);
        revoke(&mut key, reason(RevocationReasonCode::KeyCompromise), Some(DateTime(5)), 20).unwrap();
        assert_eq!(stored_state(&key), State::Compromised);
        assert_eq!(
            find(&key, |a| if let Attribute::CompromiseOccurrenceDate(d) = a { Some(*d) } else { None }),
            Some(DateTime(5))
        );
        let mut pre_active = object(State::PreActive, vec![]);
        assert!(revoke(&mut pre_active, reason(RevocationReasonCode::Superseded), None, 1).is_err());
    }

    #[test]
    fn destroy_refuses_active_and_keeps_metadata() {
        let mut key = object(State::Active, vec![]);
        assert!(matches!(destroy(&mut key, 1), Err(OpError::WrongState(_))));
        let mut compromised = object(State::Compromised, vec![]);
        destroy(&mut compromised, 1).unwrap();
        assert_eq!(stored_state(&compromised), State::DestroyedCompromised);
        assert!(matches!(destroy(&mut compromised, 2), Err(OpError::AlreadyDestroyed(_))));
    }
}
