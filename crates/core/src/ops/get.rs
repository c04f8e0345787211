//! Get (2.1 §6.1.21, 1.4 §4.11): hand out an object. In this version the object is returned in the
//! format it is stored in; a different Key Format Type, compression or wrapping is refused until
//! the cryptographic services convert them.

use keyward_kmip::attributes::Attribute;
use keyward_kmip::payloads::get::{GetRequest, GetResponse};

use crate::attributes::{find, set};
use crate::context::Context;
use crate::error::{OpError, OpResult};
use crate::ops::readable;

pub(crate) fn run(cx: &mut Context<'_>, request: &GetRequest) -> OpResult<GetResponse> {
    let stored = cx.load_ref(request.unique_identifier.as_ref())?;
    let object = readable(&stored)?.clone();
    if find(&stored, |a| if let Attribute::Sensitive(s) = a { Some(*s) } else { None }) == Some(true) {
        return Err(OpError::Sensitive(format!(
            "object {} may not leave the server in the clear",
            stored.unique_identifier
        )));
    }
    if let (Some(asked), Some(block)) = (request.key_format_type, object.key_block())
        && asked != block.key_format_type
    {
        return Err(OpError::KeyFormatTypeNotSupported(format!(
            "{asked:?} (the key is stored as {:?})",
            block.key_format_type
        )));
    }
    if request.key_compression_type.is_some() {
        return Err(OpError::KeyCompressionTypeNotSupported("keys are not compressed".into()));
    }
    if request.key_wrapping_specification.is_some() {
        return Err(OpError::FeatureNotSupported("wrapping a key on Get".into()));
    }
    let uid = stored.unique_identifier.clone();
    // A key that has been handed out is no longer fresh (2.1 §4.24).
    if find(&stored, |a| if let Attribute::Fresh(f) = a { Some(*f) } else { None }) == Some(true) {
        let mut stale = stored;
        set(&mut stale, Attribute::Fresh(false));
        cx.update(stale);
    }
    cx.set_placeholder(Some(uid.clone()));
    Ok(GetResponse { object_type: object.object_type(), unique_identifier: uid, object })
}
