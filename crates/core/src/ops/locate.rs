//! Locate (2.1 §6.1.28, 1.4 §4.9): the objects that match every attribute given, newest first.
//!
//! Matching: a single Date attribute matches equal dates, two of the same form an inclusive range;
//! a usage mask matches objects that have at least its bits; a State matches the state the object
//! is in now; Key Value Present matches whether the key's value is on the server; any other
//! attribute matches an instance with the same value. Objects are found through the store's
//! indexes (owner, name, object type, object group, algorithm, Rotate Name and Rotate Automatic,
//! and state where no date can move an object into it), then checked one by one. Object Group
//! Member: see `object_group`.

use keyward_kmip::attributes::{Attribute, AttributeRef};
use keyward_kmip::enums::{ObjectType, State};
use keyward_kmip::masks::StorageStatusMask;
use keyward_kmip::payloads::locate::{LocateRequest, LocateResponse};
use keyward_store::{IndexTerm, StoredObject};

use crate::attributes::find;
use crate::context::Context;
use crate::error::OpResult;
use crate::lifecycle::effective_state;
use crate::ops::{is_archived, object_group};

pub(crate) fn run(cx: &mut Context<'_>, request: &LocateRequest) -> OpResult<LocateResponse> {
    let filter = &request.attributes.attributes;
    let storage = request.storage_status_mask.unwrap_or(StorageStatusMask::OnLineStorage);
    let mut matched: Vec<String> = Vec::new();
    for uid in crate::access::enforce::locate_candidates(cx, index_terms(filter))? {
        let Ok(object) = cx.read(&uid) else { continue };
        if in_storage(&object, storage, cx.now) && matches_all(&object, filter, cx.now) {
            matched.push(uid);
        }
    }
    if let Some(member) = request.object_group_member {
        object_group::select(cx, member, filter, &mut matched);
    }
    let located_items = i32::try_from(matched.len()).unwrap_or(i32::MAX);
    let offset = usize::try_from(request.offset_items.unwrap_or(0).max(0)).unwrap_or(0);
    let maximum = request.maximum_items.filter(|m| *m >= 0).and_then(|m| usize::try_from(m).ok()).unwrap_or(usize::MAX);
    let unique_identifier: Vec<String> = matched.into_iter().skip(offset).take(maximum).collect();
    if request.object_group_member.is_some() {
        object_group::serve(cx, &unique_identifier)?;
    }
    // One result becomes the ID Placeholder; several (or none) empty it (2.1 §6.1.28).
    let placeholder = if unique_identifier.len() == 1 { unique_identifier.first().cloned() } else { None };
    cx.set_placeholder(placeholder);
    cx.record_returned(&unique_identifier);
    if unique_identifier.len() == 1 {
        cx.record_result(keyward_kmip::enums::UniqueIdentifier::Locate, &unique_identifier[0]);
    }
    // Located Items is OPTIONAL (2.1 §6.1.28); it tells a client that pages through the results
    // how many there are, and only such a client is given it.
    let paging = request.maximum_items.is_some() || request.offset_items.is_some();
    Ok(LocateResponse { located_items: paging.then_some(located_items), unique_identifier })
}

/// The terms the indexes can answer exactly: those the store indexes each attribute by
/// ([`crate::record_schema::index_term`], the one list), less the states a date moves objects into.
fn index_terms(filter: &[Attribute]) -> Vec<IndexTerm> {
    filter
        .iter()
        // A date can move an object into Active or Deactivated without a write, so the stored
        // state only narrows the search for the other states.
        .filter(
            |attribute| !matches!(attribute, Attribute::State(s) if *s == State::Active || *s == State::Deactivated),
        )
        .filter_map(crate::record_schema::index_term)
        .collect()
}

/// Whether the object is in a storage the mask asks for: on line, archived, or destroyed.
fn in_storage(object: &StoredObject, mask: StorageStatusMask, now: i64) -> bool {
    let destroyed = matches!(effective_state(object, now), State::Destroyed | State::DestroyedCompromised);
    if destroyed {
        mask.contains(StorageStatusMask::DestroyedStorage)
    } else if is_archived(object) {
        mask.contains(StorageStatusMask::ArchivalStorage)
    } else {
        mask.contains(StorageStatusMask::OnLineStorage)
    }
}

fn date_of(attribute: &Attribute) -> Option<i64> {
    Some(match attribute {
        Attribute::InitialDate(d)
        | Attribute::ActivationDate(d)
        | Attribute::ProcessStartDate(d)
        | Attribute::ProtectStopDate(d)
        | Attribute::DeactivationDate(d)
        | Attribute::DestroyDate(d)
        | Attribute::CompromiseOccurrenceDate(d)
        | Attribute::CompromiseDate(d)
        | Attribute::ArchiveDate(d)
        | Attribute::LastChangeDate(d)
        | Attribute::OriginalCreationDate(d)
        | Attribute::RotateDate(d) => d.seconds(),
        _ => return None,
    })
}

/// True when the object matches every attribute of the filter.
pub(crate) fn matches_all(object: &StoredObject, filter: &[Attribute], now: i64) -> bool {
    let mut checked: Vec<AttributeRef> = Vec::new();
    for attribute in filter {
        let reference = attribute.reference();
        if checked.contains(&reference) {
            continue;
        }
        checked.push(reference.clone());
        let wanted: Vec<&Attribute> = filter.iter().filter(|a| reference.matches(a)).collect();
        let present: Vec<&Attribute> =
            object.attributes.iter().map(|a| &a.attribute).filter(|a| reference.matches(a)).collect();
        if !group_matches(&wanted, &present, object, now) {
            return false;
        }
    }
    true
}

/// Whether the key value of an object is on the server, for a Locate by Key Value Present (1.2
/// §3.41: "MAY be used as a part of the Locate operation"). The server creates the attribute only
/// for a key registered without its value, so a key that has its value matches "true" although it
/// carries no such attribute; objects the attribute does not apply to (Table 131: Symmetric Key,
/// Private Key, Split Key, Secret Data) match neither value.
fn key_value_present(object: &StoredObject) -> Option<bool> {
    if let Some(stated) = find(object, |a| if let Attribute::KeyValuePresent(p) = a { Some(*p) } else { None }) {
        return Some(stated);
    }
    let managed = object.object.as_ref()?;
    let applies = matches!(
        managed.object_type(),
        ObjectType::SymmetricKey | ObjectType::PrivateKey | ObjectType::SplitKey | ObjectType::SecretData
    );
    managed.key_block().filter(|_| applies).map(|block| block.key_value.is_some())
}

fn group_matches(wanted: &[&Attribute], present: &[&Attribute], object: &StoredObject, now: i64) -> bool {
    let Some(first) = wanted.first() else {
        return true;
    };
    match first {
        Attribute::State(_) => {
            let state = effective_state(object, now);
            wanted.iter().all(|w| matches!(w, Attribute::State(s) if *s == state))
        }
        Attribute::CryptographicUsageMask(_) => wanted.iter().all(|w| {
            let Attribute::CryptographicUsageMask(asked) = w else {
                return false;
            };
            present.iter().any(|p| matches!(p, Attribute::CryptographicUsageMask(m) if m.contains(*asked)))
        }),
        Attribute::UniqueIdentifier(uid) => *uid == object.unique_identifier,
        Attribute::KeyValuePresent(_) => {
            let present = key_value_present(object);
            wanted.iter().all(|w| matches!(w, Attribute::KeyValuePresent(v) if Some(*v) == present))
        }
        date if date_of(date).is_some() => {
            let bounds: Vec<i64> = wanted.iter().filter_map(|w| date_of(w)).collect();
            let (low, high) = match bounds.as_slice() {
                [single] => (*single, *single),
                [a, b, ..] => (*a.min(b), *a.max(b)),
                [] => return true,
            };
            // A date at its largest value means "undefined" (2.1 §6.1.28).
            if high == i64::MAX && low == high {
                return true;
            }
            present.iter().filter_map(|p| date_of(p)).any(|d| low <= d && d <= high)
        }
        _ => wanted.iter().all(|w| present.iter().any(|p| p == w)),
    }
}
