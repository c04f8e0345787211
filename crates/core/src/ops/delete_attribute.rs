//! Delete Attribute (2.1 §6.1.13, 1.4 §4.16, 1.0 §4.15).
//!
//! 1.x names one instance by its Attribute Index, 0 when absent (1.1 and later; 1.0 rejects a
//! request without an index when the attribute has several instances). The other instances keep
//! their indexes (1.4 §2.1.1). An index no instance has is Item Not Found (1.4 Table 343, "No
//! matching attribute instance exists"). 2.x names the instance by its Current Attribute, or gives
//! an Attribute Reference alone, which deletes every instance. A 1.x response echoes what was
//! deleted.

use keyward_kmip::attributes::{AttributeRef, IndexedAttribute};
use keyward_kmip::payloads::delete_attribute::{DeleteAttributeRequest, DeleteAttributeResponse};
use keyward_ttlv::KmipVersion;

use crate::attribute_rules::{Change, check};
use crate::attributes::instances;
use crate::context::Context;
use crate::error::{OpError, OpResult};
use crate::lifecycle::effective_state;
use crate::usage_limits;

pub(crate) fn run(cx: &mut Context<'_>, request: &DeleteAttributeRequest) -> OpResult<DeleteAttributeResponse> {
    let mut stored = cx.load_ref(request.unique_identifier.as_ref())?;
    let (reference, current) = match (&request.current_attribute, &request.attribute_reference) {
        (Some(current), _) => (current.attribute.reference(), Some(&current.attribute)),
        (None, Some(reference)) => (reference.clone(), None),
        (None, None) => return Err(OpError::MissingData("the attribute to delete".into())),
    };
    let existing = instances(&stored, &reference);
    if existing.is_empty() {
        // "No attribute with the specified name exists": Item Not Found in 1.x.
        return Err(OpError::AttributeNotFound(reference.name()));
    }
    let victims: Vec<IndexedAttribute> = match current {
        Some(value) => {
            let found = existing.iter().find(|a| a.attribute == *value);
            vec![(*found.ok_or_else(|| no_instance(&reference, "of the given current value"))?).clone()]
        }
        None if cx.version.is_1x() => vec![by_index(&existing, request.attribute_index, cx.version, &reference)?],
        // 2.1 §6.1.13 (2.0 alike): "If no Current Attribute is specified in the request, and an
        // Attribute Reference is specified, then all instances of the specified attribute SHALL
        // be deleted."
        None => existing.iter().map(|a| (*a).clone()).collect(),
    };
    let state = effective_state(&stored, cx.now);
    for victim in &victims {
        check(&victim.attribute, Change::Delete, state)?;
        usage_limits::check_client_change(&stored, &victim.attribute)?;
    }
    stored
        .attributes
        .retain(|a| !(reference.matches(&a.attribute) && victims.iter().any(|victim| victim.index == a.index)));
    let uid = stored.unique_identifier.clone();
    cx.update(stored);
    cx.set_placeholder(Some(uid.clone()));
    Ok(DeleteAttributeResponse { unique_identifier: uid, attribute: victims.into_iter().next() })
}

/// The 1.x instance of `index` (0 when absent).
fn by_index(
    existing: &[&IndexedAttribute],
    index: Option<i32>,
    version: KmipVersion,
    reference: &AttributeRef,
) -> OpResult<IndexedAttribute> {
    if index.is_none() && version == KmipVersion::V1_0 && existing.len() > 1 {
        // 1.0 §4.15: "If no Attribute Index is specified, and the Attribute whose name is
        // specified has multiple instances, then the operation is rejected" (Invalid Field,
        // 1.0 Table 241). 1.1 and later take index 0 instead.
        return Err(OpError::InvalidField(format!(
            "{} has {} instances: the Attribute Index must say which",
            reference.name(),
            existing.len()
        )));
    }
    let index = index.unwrap_or(0);
    u32::try_from(index)
        .ok()
        .and_then(|wanted| existing.iter().find(|a| a.index == wanted))
        .map(|a| (*a).clone())
        .ok_or_else(|| no_instance(reference, &format!("of index {index}")))
}

fn no_instance(reference: &AttributeRef, which: &str) -> OpError {
    OpError::AttributeInstanceNotFound(format!("{} has no instance {which}", reference.name()))
}
