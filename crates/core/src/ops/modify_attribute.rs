//! Modify Attribute (2.1 §6.1.34, 1.4 §4.15): a new value for an existing instance, named by its
//! 1.x Attribute Index (0 when absent) or by its 2.x current value (the only instance when
//! absent). The instance keeps its index (1.4 §2.1.1). A 1.x response echoes the modified
//! attribute; Synology DSM waits for it.

use keyward_kmip::attributes::{Attribute, IndexedAttribute};
use keyward_kmip::payloads::modify_attribute::{ModifyAttributeRequest, ModifyAttributeResponse};

use crate::attribute_rules::{Change, check};
use crate::attributes::instances;
use crate::context::Context;
use crate::creation::check_name_unique;
use crate::error::{OpError, OpResult};
use crate::lifecycle::{effective_state, refresh};
use crate::usage_limits;

pub(crate) fn run(cx: &mut Context<'_>, request: &ModifyAttributeRequest) -> OpResult<ModifyAttributeResponse> {
    let mut stored = cx.load_ref(request.unique_identifier.as_ref())?;
    // A new Total corrects the old one and the count follows it, until units have been allocated
    // (1.4 §3.21); the client never sets the count.
    let attribute = usage_limits::from_client(request.new_attribute.attribute.clone());
    let reference = attribute.reference();
    check(&attribute, Change::Modify, effective_state(&stored, cx.now))?;
    usage_limits::check_client_change(&stored, &attribute)?;
    let existing = instances(&stored, &reference);
    if existing.is_empty() {
        // "Only existing attributes MAY be changed"; 1.x calls this Invalid Field.
        return Err(OpError::AttributeNotYetAdded(reference.name()));
    }
    let target = match &request.current_attribute {
        Some(current) => {
            existing.iter().find(|a| a.attribute == current.attribute).map(|a| a.index).ok_or_else(|| {
                OpError::AttributeInstanceNotFound(format!(
                    "{} has no instance of the given current value",
                    reference.name()
                ))
            })?
        }
        None if cx.version.is_1x() => {
            // 1.4 §4.15: an absent index is 0; "Specifying an Attribute Index for which there
            // exists no Attribute object SHALL result in an error" (Item Not Found, Table 342).
            let index = request.new_attribute.index;
            existing.iter().find(|a| a.index == index).map(|a| a.index).ok_or_else(|| {
                OpError::AttributeInstanceNotFound(format!("{} has no instance of index {index}", reference.name()))
            })?
        }
        // 2.1 §6.1.34 (2.0 alike): without a Current Attribute a single instance is the one; of
        // several, "the specific instance of the attribute is unable to be determined".
        None if existing.len() > 1 => {
            return Err(OpError::AttributeInstanceNotFound(format!(
                "{} has {} instances: the Current Attribute must say which",
                reference.name(),
                existing.len()
            )));
        }
        None => existing[0].index,
    };
    if let Attribute::Name(name) = &attribute {
        check_name_unique(cx, name, Some(&stored.unique_identifier)).map_err(super::add_attribute::name_in_use)?;
    }
    for instance in stored.attributes.iter_mut() {
        if instance.index == target && reference.matches(&instance.attribute) {
            instance.attribute = attribute.clone();
        }
    }
    refresh(&mut stored, cx.now);
    let uid = stored.unique_identifier.clone();
    cx.update(stored);
    cx.set_placeholder(Some(uid.clone()));
    Ok(ModifyAttributeResponse {
        unique_identifier: uid,
        attribute: Some(IndexedAttribute { index: target, attribute }),
    })
}
