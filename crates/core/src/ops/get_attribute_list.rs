//! Get Attribute List (2.1 §6.1.22, 1.4 §4.13): the names of an object's attributes, each once,
//! limited to those the request's version defines.

use keyward_kmip::attributes::{Attribute, AttributeRef, attribute_exists};
use keyward_kmip::codec::Cx;
use keyward_kmip::payloads::get_attribute_list::{GetAttributeListRequest, GetAttributeListResponse};

use crate::context::Context;
use crate::crypto::certificate_attributes::{self, is_certificate};
use crate::error::OpResult;
use crate::operation_policy;

pub(crate) fn run(cx: &mut Context<'_>, request: &GetAttributeListRequest) -> OpResult<GetAttributeListResponse> {
    let stored = cx.read_ref(request.unique_identifier.as_ref())?;
    let version = Cx::new(cx.version);
    let certificate = is_certificate(&stored);
    let mut attribute_reference: Vec<AttributeRef> = Vec::new();
    for indexed in &stored.attributes {
        let known = match &indexed.attribute {
            Attribute::Vendor(vendor) => !cx.version.is_1x() || vendor.custom_name().is_some(),
            standard => attribute_exists(standard.tag(), &version),
        };
        let reference = indexed.attribute.reference();
        let shown = !operation_policy::is_bookkeeping(&indexed.attribute)
            && (!certificate || certificate_attributes::shown_in(&indexed.attribute, cx.version));
        if known && shown && !attribute_reference.contains(&reference) {
            attribute_reference.push(reference);
        }
    }
    cx.set_placeholder(Some(stored.unique_identifier.clone()));
    Ok(GetAttributeListResponse { unique_identifier: stored.unique_identifier.clone(), attribute_reference })
}
