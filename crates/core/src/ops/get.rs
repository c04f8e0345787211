//! Get (2.1 §6.1.19, 1.4 §4.11): hand out an object, in the Key Format Type the client asks for
//! (converted when it is stored in another) and wrapped under another managed key when it gives a
//! Key Wrapping Specification; see `crypto::delivery` for the rules.

use std::sync::Arc;

use keyward_kmip::attributes::Attribute;
use keyward_kmip::payloads::get::{GetRequest, GetResponse};

use crate::attributes::{find, set};
use crate::context::Context;
use crate::crypto::delivery::{Form, deliver};
use crate::error::OpResult;

pub(crate) fn run(cx: &mut Context<'_>, request: &GetRequest) -> OpResult<GetResponse> {
    let stored = cx.read_ref(request.unique_identifier.as_ref())?;
    let form = Form {
        key_format_type: request.key_format_type,
        key_wrap_type: request.key_wrap_type,
        key_compression_type: request.key_compression_type,
        wrapping: request.key_wrapping_specification.as_ref(),
    };
    let object = deliver(cx, &stored, &form)?;
    let uid = stored.unique_identifier.clone();
    // A key that has been handed out is no longer fresh (2.1 §4.24). Bookkeeping: a store that
    // cannot take the change (a full disk) still hands the key out.
    if find(&stored, |a| if let Attribute::Fresh(f) = a { Some(*f) } else { None }) == Some(true) {
        let mut stale = Arc::unwrap_or_clone(stored);
        set(&mut stale, Attribute::Fresh(false));
        cx.update_bookkeeping(stale);
    }
    cx.set_placeholder(Some(uid.clone()));
    Ok(GetResponse { object_type: object.object_type(), unique_identifier: uid, object })
}
