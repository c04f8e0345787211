//! What a replacement inherits from the object it replaces: Re-key (2.1 §6.1.46, 1.4 §4.4),
//! Re-key Key Pair (§6.1.47, 1.4 §4.5) and Re-certify (§6.1.45, 1.4 §4.8).
//!
//! The replacement takes the attributes a client could have given the existing object, names
//! included (which the existing object gives up), with the exceptions of the specification's
//! tables: dates, links, usage limits, freshness and the generator are made anew, the server's
//! own attributes are recomputed by `creation::new_object`. With an Offset, the Activation Date
//! is the replacement's Initial Date (now) plus the Offset, and the other dates move by as much as
//! the Activation Date did (1.0 Table 116, 2.1 Tables 303 and 308). An Offset comes without the
//! dates it computes (Invalid Message, 1.4 Tables 331, 332 and 335), and needs an Activation Date
//! of the existing object to move its other dates from (Illegal Operation, 1.4 Tables 331, 332).

use keyward_kmip::attributes::{Attribute, AttributeRef, UsageLimits};
use keyward_kmip::enums::LinkType;
use keyward_kmip::objects::ManagedObject;
use keyward_kmip::{DateTime, Interval, Tag};
use keyward_store::StoredObject;

use crate::attributes::{find, remove_all, set};
use crate::context::Context;
use crate::creation::add_link;
use crate::error::{OpError, OpResult};

/// The dates that move with an Offset. Re-key moves all four (2.1 Table 303); Re-key Key Pair
/// and Re-certify only the Activation and Deactivation Dates (Tables 308 and 298).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dates {
    All,
    ActivationAndDeactivation,
}

fn is_date(attribute: &Attribute) -> bool {
    matches!(
        attribute,
        Attribute::ActivationDate(_)
            | Attribute::DeactivationDate(_)
            | Attribute::ProcessStartDate(_)
            | Attribute::ProtectStopDate(_)
    )
}

/// Refuses an Offset given together with a date it computes: "Offset field is not permitted to be
/// specified at the same time as any of the Activation Date, Process Start Date, Protect Stop
/// Date, or Deactivation Date attributes" (1.4 Table 331; Tables 332 and 335 name the Activation
/// and Deactivation Dates), Invalid Message in every version (2.1 Table 307 lists it too).
pub fn check_offset(offset: Option<Interval>, requested: &[Attribute], dates: Dates) -> OpResult<()> {
    if offset.is_none() {
        return Ok(());
    }
    let computed = |a: &&Attribute| match a {
        Attribute::ActivationDate(_) | Attribute::DeactivationDate(_) => true,
        Attribute::ProcessStartDate(_) | Attribute::ProtectStopDate(_) => dates == Dates::All,
        _ => false,
    };
    match requested.iter().find(computed) {
        Some(date) => Err(OpError::OffsetWithDates(date.reference().name())),
        None => Ok(()),
    }
}

/// The attributes the replacement takes from `existing`, its dates computed from `offset`.
pub fn inherited(
    existing: &StoredObject,
    offset: Option<Interval>,
    dates: Dates,
    now: i64,
) -> OpResult<Vec<Attribute>> {
    let mut inherited: Vec<Attribute> = existing
        .attributes
        .iter()
        .map(|a| &a.attribute)
        .filter(|a| a.rules().client_sets && !is_date(a))
        .filter(|a| {
            !matches!(
                a,
                Attribute::Link(_)
                    | Attribute::Fresh(_)
                    | Attribute::RandomNumberGenerator(_)
                    | Attribute::OriginalCreationDate(_)
            )
        })
        .map(|a| match a {
            // The replacement may be used as much as the existing object could be at first.
            Attribute::UsageLimits(limits) => Attribute::UsageLimits(UsageLimits {
                usage_limits_count: Some(limits.usage_limits_total),
                ..limits.clone()
            }),
            other => other.clone(),
        })
        .collect();
    inherited.extend(moved_dates(existing, offset, dates, now)?);
    Ok(inherited)
}

fn moved_dates(existing: &StoredObject, offset: Option<Interval>, dates: Dates, now: i64) -> OpResult<Vec<Attribute>> {
    let date = |select: fn(&Attribute) -> Option<DateTime>| find(existing, select).map(DateTime::seconds);
    let activation = date(|a| if let Attribute::ActivationDate(d) = a { Some(*d) } else { None });
    let deactivation = date(|a| if let Attribute::DeactivationDate(d) = a { Some(*d) } else { None });
    let mut others = Vec::new();
    if dates == Dates::All {
        if let Some(start) = date(|a| if let Attribute::ProcessStartDate(d) = a { Some(*d) } else { None }) {
            others.push((start, Attribute::ProcessStartDate as fn(DateTime) -> Attribute));
        }
        if let Some(stop) = date(|a| if let Attribute::ProtectStopDate(d) = a { Some(*d) } else { None }) {
            others.push((stop, Attribute::ProtectStopDate as fn(DateTime) -> Attribute));
        }
    }
    if let Some(deactivation) = deactivation {
        others.push((deactivation, Attribute::DeactivationDate as fn(DateTime) -> Attribute));
    }
    let Some(offset) = offset else {
        let mut copied: Vec<Attribute> =
            activation.map(|a| Attribute::ActivationDate(DateTime(a))).into_iter().collect();
        copied.extend(others.into_iter().map(|(seconds, make)| make(DateTime(seconds))));
        return Ok(copied);
    };
    // AT2 = IT2 + Offset, where IT2 is the replacement's Initial Date: now.
    let new_activation = now.saturating_add(i64::from(offset.0));
    let mut moved = vec![Attribute::ActivationDate(DateTime(new_activation))];
    let Some(activation) = activation else {
        // The other dates move by AT2 - AT1, which an existing object without an Activation Date
        // does not define: "An offset cannot be used to specify new Process Start, Protect Stop
        // and/or Deactivation Date attribute values since no Activation Date has been specified
        // for the existing key" (1.4 Tables 331 and 332: Illegal Operation).
        if let Some((_, make)) = others.first() {
            let name = make(DateTime(0)).reference().name();
            return Err(OpError::IllegalOperation(format!(
                "an Offset cannot move the {name} of an object that has no Activation Date"
            )));
        }
        return Ok(moved);
    };
    let shift = new_activation.saturating_sub(activation);
    moved.extend(others.into_iter().map(|(seconds, make)| make(DateTime(seconds.saturating_add(shift)))));
    Ok(moved)
}

/// The object a Re-key or Re-key Key Pair replaces, with its key value: an archived object is
/// Object Archived; a destroyed one, or one registered without its value (1.2 §3.41), has no key
/// value on the server to replace (Key Value Not Present, 1.4 Tables 331 and 332).
pub fn replaced_key(existing: &StoredObject) -> OpResult<&ManagedObject> {
    match crate::ops::readable(existing) {
        Err(OpError::ObjectDestroyed(uid)) => Err(OpError::KeyValueNotPresent(uid)),
        Ok(object) if object.key_block().is_some_and(|b| b.key_value.is_none()) => {
            Err(OpError::KeyValueNotPresent(existing.unique_identifier.clone()))
        }
        other => other,
    }
}

/// The existing object gives up its names, so that the replacement can take them: written before
/// the replacement is made, which checks its names against the batch's objects.
pub fn release_names(cx: &mut Context<'_>, existing: &StoredObject) {
    let mut released = existing.clone();
    remove_all(&mut released, &AttributeRef::Standard(Tag::Name));
    cx.update(released);
}

/// Links the existing object (as the batch now has it) to its replacement.
pub fn link_to_replacement(cx: &mut Context<'_>, existing_uid: &str, replacement_uid: &str) -> OpResult<()> {
    let mut existing = cx.load(existing_uid)?;
    add_link(&mut existing, LinkType::ReplacementObjectLink, replacement_uid);
    cx.update(existing);
    Ok(())
}

/// True when the object being replaced is one of a rotated set: it has a Rotate Name, Rotate
/// Automatic, or an earlier generation. A client's Re-key of such an object is one of "the
/// automatic rotates or ReKey, ReKeyKeyPair, or ReCertify operations" Rotate Generation counts
/// (2.1 §4.50), so it records the rotation as the server's own would. Objects outside any rotated
/// set are re-keyed without the Rotate attributes, as before 2.1 defined them.
pub fn in_rotated_set(existing: &StoredObject) -> bool {
    existing.attributes.iter().any(|a| {
        matches!(
            a.attribute,
            Attribute::RotateName(_)
                | Attribute::RotateAutomatic(_)
                | Attribute::RotateGeneration(_)
                | Attribute::RotateLatest(_)
        )
    })
}

/// Records a rotation on both objects (as the batch now has them): the replacement is the next
/// Rotate Generation (2.1 §4.50, counted from zero) and the latest (§4.52: True), the replaced
/// object no longer the latest (False); both have the Rotate Date of now (§4.49, "when object is
/// rotated"), from which the replacement's next automatic rotation counts.
pub fn record_rotation(cx: &mut Context<'_>, replaced_uid: &str, replacement_uid: &str) -> OpResult<i32> {
    let now = DateTime(cx.now);
    let mut replaced = cx.load(replaced_uid)?;
    let generation = crate::rotation::rotate_generation(&replaced).unwrap_or(0).saturating_add(1);
    set(&mut replaced, Attribute::RotateLatest(false));
    set(&mut replaced, Attribute::RotateDate(now));
    cx.update(replaced);
    let mut replacement = cx.load(replacement_uid)?;
    set(&mut replacement, Attribute::RotateGeneration(generation));
    set(&mut replacement, Attribute::RotateLatest(true));
    set(&mut replacement, Attribute::RotateDate(now));
    cx.update(replacement);
    Ok(generation)
}
