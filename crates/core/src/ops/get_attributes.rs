//! Get Attributes (2.1 §6.1.23, 1.4 §4.12): some or all attributes of an object. An attribute the
//! object does not have is simply not returned (vCenter asks for `x-Product_Version` on a new key
//! and expects success); attributes the request's version does not define are left out by the
//! encoder. The one exception is the Random Number Generator (below).

use keyward_kmip::attributes::{Attribute, IndexedAttribute};
use keyward_kmip::payloads::get_attributes::{GetAttributesRequest, GetAttributesResponse};

use crate::attributes::instances;
use crate::context::Context;
use crate::crypto::certificate_attributes::{self, is_certificate};
use crate::error::OpResult;
use crate::operation_policy;

pub(crate) fn run(cx: &mut Context<'_>, request: &GetAttributesRequest) -> OpResult<GetAttributesResponse> {
    let stored = cx.read_ref(request.unique_identifier.as_ref())?;
    let attribute = if request.attribute_reference.is_empty() {
        // Everything but the Random Number Generator, which is returned when asked for by name:
        // PyKMIP 0.11 cannot read that attribute and fails a whole Get Attributes that carries it.
        // It only records how the server made the key.
        let informative = |a: &&IndexedAttribute| !matches!(a.attribute, Attribute::RandomNumberGenerator(_));
        stored.attributes.iter().filter(informative).cloned().collect()
    } else {
        let mut selected = Vec::new();
        for reference in &request.attribute_reference {
            selected.extend(instances(&stored, reference).into_iter().cloned());
        }
        selected
    };
    let mut attribute: Vec<IndexedAttribute> = attribute;
    attribute.retain(|a| !operation_policy::is_bookkeeping(&a.attribute));
    if is_certificate(&stored) {
        attribute.retain(|a| certificate_attributes::shown_in(&a.attribute, cx.version));
    }
    cx.set_placeholder(Some(stored.unique_identifier.clone()));
    Ok(GetAttributesResponse { unique_identifier: stored.unique_identifier.clone(), attribute })
}
