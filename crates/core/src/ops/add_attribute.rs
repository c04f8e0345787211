//! Add Attribute (2.1 §6.1.3, 1.4 §4.14): a new instance of an attribute. A single-instance
//! attribute may only be added when the object has none. 1.x answers a second instance and a
//! Name already taken with Illegal Operation (1.4 Table 341).

use keyward_kmip::attributes::{Attribute, IndexedAttribute};
use keyward_kmip::payloads::add_attribute::{AddAttributeRequest, AddAttributeResponse};

use crate::attribute_rules::{Change, check};
use crate::attributes::{add, instances};
use crate::context::Context;
use crate::creation::check_name_unique;
use crate::error::{OpError, OpResult};
use crate::lifecycle::{effective_state, refresh};
use crate::usage_limits;

pub(crate) fn run(cx: &mut Context<'_>, request: &AddAttributeRequest) -> OpResult<AddAttributeResponse> {
    let mut stored = cx.load_ref(request.unique_identifier.as_ref())?;
    // The Usage Limits Count is the server's (1.4 §3.21): it starts at the total.
    let attribute = usage_limits::from_client(request.new_attribute.attribute.clone());
    check(&attribute, Change::Add, effective_state(&stored, cx.now))?;
    let reference = attribute.reference();
    if !attribute.rules().multiple && !instances(&stored, &reference).is_empty() {
        return Err(OpError::AttributeExists(reference.name()));
    }
    if let Attribute::Name(name) = &attribute {
        // The object's own names count too: a second instance of one of them is a duplicate
        // (BL-M-8-21).
        check_name_unique(cx, name, None).map_err(name_in_use)?;
    }
    let index = add(&mut stored, attribute.clone());
    // An Activation Date in the past takes effect at once.
    refresh(&mut stored, cx.now);
    let uid = stored.unique_identifier.clone();
    cx.update(stored);
    cx.set_placeholder(Some(uid.clone()));
    Ok(AddAttributeResponse { unique_identifier: uid, attribute: Some(IndexedAttribute { index, attribute }) })
}

/// Add Attribute's own reason for a Name that is taken (see `OpError::NameInUse`).
pub(crate) fn name_in_use(error: OpError) -> OpError {
    match error {
        OpError::NonUniqueName(name) => OpError::NameInUse(name),
        other => other,
    }
}
