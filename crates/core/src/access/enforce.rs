//! Where the access rules meet the operations: the checks [`Context`] and the dispatcher call.

use keyward_store::StoredObject;

use super::{Access, Right};
use crate::context::Context;
use crate::error::{OpError, OpResult};

/// Refuses an operation the caller's role does not allow at all (an auditor's Create).
pub(crate) fn may_run(cx: &Context<'_>) -> OpResult<()> {
    if cx.services.policy.access.may_run(cx.role(), cx.operation) {
        Ok(())
    } else {
        Err(OpError::PermissionDenied(format!("the {} role may not run {:?}", cx.role().name(), cx.operation)))
    }
}

/// Checks that the caller may do what needs `right` on `object`. The owner passes on one
/// comparison: the common case costs nothing more than before grants existed.
pub(crate) fn check(cx: &Context<'_>, object: &StoredObject, right: Option<Right>) -> OpResult<()> {
    if object.owner == cx.client.name && cx.client.role == super::Role::Client {
        return Ok(());
    }
    match cx.services.policy.access.decide(cx.client, cx.role(), object, right, &cx.memory.grants_read) {
        Access::Allowed => Ok(()),
        Access::Hidden => Err(OpError::ObjectNotFound(object.unique_identifier.clone())),
        Access::Denied => Err(OpError::PermissionDenied(match right {
            Some(right) => format!("{right} is not granted on {}", object.unique_identifier),
            None => format!("only the owner may use {} this way", object.unique_identifier),
        })),
    }
}

/// Whether an object exists in the store, whoever may see it: for Import, which must not take
/// an identifier another owner holds.
pub(crate) fn exists(cx: &Context<'_>, uid: &str) -> OpResult<bool> {
    Ok(cx.services.store.get(uid)?.is_some())
}

/// The candidates of a Locate: the caller's own objects, or every object when it may see past
/// them (each is then read through [`check`]).
pub(crate) fn locate_candidates(cx: &Context<'_>, terms: Vec<keyward_store::IndexTerm>) -> OpResult<Vec<String>> {
    let beyond = cx.services.policy.access.sees_beyond_own(cx.client, cx.role(), &cx.memory.grants_read);
    cx.candidates_among(terms, !beyond)
}
