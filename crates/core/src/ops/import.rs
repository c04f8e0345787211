//! Import (2.1 §6.1.25, 1.4 §4.41): an exported object, under the identifier and with the
//! attributes it had, set as given: the rules of who initially sets an attribute do not apply
//! (2.1 §6.1.25). The server adds only what the lifecycle needs and the export left out (State,
//! Initial Date, Last Change Date). An identifier in use is refused (Object Already Exists)
//! unless Replace Existing is true. With Key Wrap Type Not Wrapped a wrapped key is unwrapped with
//! the managed key its Key Wrapping Data names; otherwise it is stored as it comes.

use keyward_kmip::DateTime;
use keyward_kmip::attributes::Attribute;
use keyward_kmip::enums::{KeyWrapType, UniqueIdentifier};
use keyward_kmip::payloads::import::{ImportRequest, ImportResponse};
use keyward_store::StoredObject;

use crate::attributes::{find, set};
use crate::context::Context;
use crate::creation::check_name_unique;
use crate::crypto::wrapping;
use crate::error::{OpError, OpResult};
use crate::lifecycle;

pub(crate) fn run(cx: &mut Context<'_>, request: &ImportRequest) -> OpResult<ImportResponse> {
    let uid = request.unique_identifier.clone();
    if request.object_type.is_some_and(|t| t != request.object.object_type()) {
        return Err(OpError::InvalidField("the Object Type is not the object's".into()));
    }
    let existing = match cx.load(&uid) {
        Ok(existing) if request.replace_existing == Some(true) => Some(existing),
        Ok(_) => return Err(OpError::ObjectAlreadyExists(uid)),
        // The replaced object of an Import is checked like any object: one the client may not see
        // is not found, and is not replaced either (docs/security/access-control.md).
        Err(OpError::ObjectNotFound(missing)) if crate::access::enforce::exists(cx, &uid)? => {
            return Err(OpError::ObjectNotFound(missing));
        }
        Err(OpError::ObjectNotFound(_)) => None,
        Err(other) => return Err(other),
    };
    let mut object = request.object.clone();
    if request.key_wrap_type == Some(KeyWrapType::NotWrapped)
        && let Some(block) = object.key_block_mut()
        && block.key_wrapping_data.is_some()
    {
        *block = wrapping::unwrap(cx, block)?;
    }
    let mut stored = StoredObject {
        unique_identifier: uid.clone(),
        // A replaced object keeps its owner: a grantee of Import replaces, it does not take.
        owner: existing.as_ref().map_or_else(|| cx.client.name.clone(), |e| e.owner.clone()),
        object: Some(object),
        attributes: request.attribute.clone(),
        revision: existing.as_ref().map_or(0, |e| e.revision),
    };
    complete(&mut stored, cx.now);
    // The creator an operation policy knows is the importing request's, never one given.
    stored.attributes.retain(|a| !crate::operation_policy::is_bookkeeping(&a.attribute));
    crate::operation_policy::record_creator(cx, &mut stored);
    for attribute in &request.attribute {
        if let Attribute::Name(name) = &attribute.attribute {
            check_name_unique(cx, name, Some(&uid))?;
        }
    }
    if existing.is_some() {
        cx.update(stored);
    } else {
        cx.insert(stored);
    }
    cx.set_placeholder(Some(uid.clone()));
    cx.record_result(UniqueIdentifier::Import, &uid);
    cx.record_returned([&uid]);
    Ok(ImportResponse { unique_identifier: uid })
}

/// The identity attributes are the object's own; the lifecycle needs a State and dates.
fn complete(stored: &mut StoredObject, now: i64) {
    set(stored, Attribute::UniqueIdentifier(stored.unique_identifier.clone()));
    if let Some(object_type) = stored.object.as_ref().map(|o| o.object_type()) {
        set(stored, Attribute::ObjectType(object_type));
    }
    if find(stored, |a| matches!(a, Attribute::State(_)).then_some(())).is_none() {
        let activation = find(stored, |a| if let Attribute::ActivationDate(d) = a { Some(*d) } else { None });
        set(stored, Attribute::State(lifecycle::initial_state(activation, now)));
    }
    if find(stored, |a| matches!(a, Attribute::InitialDate(_)).then_some(())).is_none() {
        set(stored, Attribute::InitialDate(DateTime(now)));
    }
    if find(stored, |a| matches!(a, Attribute::LastChangeDate(_)).then_some(())).is_none() {
        set(stored, Attribute::LastChangeDate(DateTime(now)));
    }
}
