//! Export (2.1 §6.1.18, 1.4 §4.40): an object with all its attributes, for Import elsewhere. The
//! object is handed out as Get hands it out (format, wrapping, Sensitive and Extractable; see
//! `crypto::delivery`); a destroyed object, having no value, is not exported.

use keyward_kmip::attributes::IndexedAttribute;
use keyward_kmip::payloads::export::{ExportRequest, ExportResponse};
use keyward_store::StoredObject;

use crate::context::Context;
use crate::crypto::certificate_attributes::{self, is_certificate};
use crate::crypto::delivery::{Form, deliver};
use crate::error::OpResult;
use crate::operation_policy;

pub(crate) fn run(cx: &mut Context<'_>, request: &ExportRequest) -> OpResult<ExportResponse> {
    let stored = cx.load_ref(request.unique_identifier.as_ref())?;
    let form = Form {
        key_format_type: request.key_format_type,
        key_wrap_type: request.key_wrap_type,
        key_compression_type: request.key_compression_type,
        wrapping: request.key_wrapping_specification.as_ref(),
    };
    let object = deliver(cx, &stored, &form)?;
    let uid = stored.unique_identifier.clone();
    cx.set_placeholder(Some(uid.clone()));
    Ok(ExportResponse {
        object_type: object.object_type(),
        unique_identifier: uid,
        // Every attribute but the server's record of the creating credential, which no client
        // sees, and a certificate's attributes of other versions (`certificate_attributes`).
        attribute: shown(&stored, cx.version),
        object,
    })
}

fn shown(stored: &StoredObject, version: keyward_kmip::KmipVersion) -> Vec<IndexedAttribute> {
    let certificate = is_certificate(stored);
    stored
        .attributes
        .iter()
        .filter(|a| !operation_policy::is_bookkeeping(&a.attribute))
        .filter(|a| !certificate || certificate_attributes::shown_in(&a.attribute, version))
        .cloned()
        .collect()
}
