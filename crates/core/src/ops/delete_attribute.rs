//! Delete Attribute (2.1 §6.1.13, 1.4 §4.16): removes one instance, named by its 1.x Attribute
//! Index (0 when absent) or its 2.x current value; a 2.x Attribute Reference removes the
//! attribute's first instance. A 1.x response echoes what was deleted.

use keyward_kmip::payloads::delete_attribute::{DeleteAttributeRequest, DeleteAttributeResponse};

use crate::attribute_rules::{Change, check};
use crate::attributes::instances;
use crate::context::Context;
use crate::error::{OpError, OpResult};
use crate::lifecycle::effective_state;

pub(crate) fn run(cx: &mut Context<'_>, request: &DeleteAttributeRequest) -> OpResult<DeleteAttributeResponse> {
    let mut stored = cx.load_ref(request.unique_identifier.as_ref())?;
    let (reference, current) = match (&request.current_attribute, &request.attribute_reference) {
        (Some(current), _) => (current.attribute.reference(), Some(&current.attribute)),
        (None, Some(reference)) => (reference.clone(), None),
        (None, None) => return Err(OpError::MissingData("the attribute to delete".into())),
    };
    let existing = instances(&stored, &reference);
    let victim = match current {
        Some(value) => existing.iter().find(|a| a.attribute == *value),
        None => {
            let index = u32::try_from(request.attribute_index.unwrap_or(0)).unwrap_or(u32::MAX);
            if cx.version.is_1x() { existing.iter().find(|a| a.index == index) } else { existing.first() }
        }
    };
    let victim = match victim {
        Some(victim) => (*victim).clone(),
        None if existing.is_empty() => return Err(OpError::AttributeNotFound(reference.name())),
        None => {
            return Err(OpError::IndexOutOfBounds(format!("{} has no such instance", reference.name())));
        }
    };
    check(&victim.attribute, Change::Delete, effective_state(&stored, cx.now))?;
    stored.attributes.retain(|a| !(a.index == victim.index && reference.matches(&a.attribute)));
    let uid = stored.unique_identifier.clone();
    cx.update(stored);
    cx.set_placeholder(Some(uid.clone()));
    Ok(DeleteAttributeResponse { unique_identifier: uid, attribute: Some(victim) })
}
