//! Set Attribute (2.1 §6.1.52; KMIP 2.x): sets a single-instance attribute, adding it or replacing
//! its value.

use keyward_kmip::attributes::Attribute;
use keyward_kmip::payloads::set_attribute::{SetAttributeRequest, SetAttributeResponse};

use crate::attribute_rules::{Change, check};
use crate::attributes::{instances, set};
use crate::context::Context;
use crate::creation::check_name_unique;
use crate::error::{OpError, OpResult};
use crate::lifecycle::{effective_state, refresh};

pub(crate) fn run(cx: &mut Context<'_>, request: &SetAttributeRequest) -> OpResult<SetAttributeResponse> {
    let mut stored = cx.load_ref(request.unique_identifier.as_ref())?;
    let attribute = request.new_attribute.attribute.clone();
    let reference = attribute.reference();
    if attribute.rules().multiple {
        return Err(OpError::InvalidField(format!(
            "{} may have several instances: use Add or Modify Attribute",
            reference.name()
        )));
    }
    let change = if instances(&stored, &reference).is_empty() { Change::Add } else { Change::Modify };
    check(&attribute, change, effective_state(&stored, cx.now))?;
    if let Attribute::Name(name) = &attribute {
        check_name_unique(cx, name, Some(&stored.unique_identifier))?;
    }
    set(&mut stored, attribute);
    refresh(&mut stored, cx.now);
    let uid = stored.unique_identifier.clone();
    cx.update(stored);
    cx.set_placeholder(Some(uid.clone()));
    Ok(SetAttributeResponse { unique_identifier: uid })
}
