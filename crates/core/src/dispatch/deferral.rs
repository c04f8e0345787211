//! Which batch items are answered Operation Pending, to be completed by a Poll (see
//! `crate::asynchronous` for how, and for the clauses).
//!
//! An item is deferred when the client accepts asynchronous responses (1.4 §6.7; 2.1 §9.2) and:
//! - the client allows it (True, 2.1 Optional), the server's policy lists the operation, and the
//!   item is alone in its batch (a later item could need its ID Placeholder); a Locate by Name is
//!   not deferred, since a Name is unique per owner and its few candidates come from the index
//!   (the same rule as `cost`: only a Locate over many objects takes long); or
//! - the client insists (2.1 Mandatory: "SHALL process all batch items in the request
//!   asynchronously", §11.3) and the policy is on: every item but a Poll or Cancel, which "SHALL
//!   NOT be asynchronous" (1.4 §4.27, §4.28). When the server cannot (policy off, or the client's
//!   share of pending operations used up), the item fails with Feature Not Supported.
//!
//! Without the indicator, or with False or Prohibited, the item runs synchronously (1.4 §6.7:
//! "the server SHALL process the request synchronously").

use keyward_kmip::attributes::Attribute;
use keyward_kmip::enums::Operation;
use keyward_kmip::message::{RequestBatchItem, RequestMessage};
use keyward_kmip::payloads::RequestPayload;

use crate::context::Context;
use crate::error::{OpError, OpResult};

/// The Asynchronous Correlation Value of the item when it is deferred, `None` when it runs now.
pub(super) fn decide(
    cx: &mut Context<'_>,
    item: &RequestBatchItem,
    message: &RequestMessage,
) -> OpResult<Option<Vec<u8>>> {
    let Some(indicator) = message.header.asynchronous_indicator.filter(|a| a.allows_asynchronous()) else {
        return Ok(None);
    };
    let policy = &cx.services.policy.asynchronous;
    let never = matches!(item.operation, Operation::Poll | Operation::Cancel);
    if indicator.is_mandatory() {
        if never {
            return Ok(None);
        }
        if !policy.enabled {
            return Err(OpError::AsynchronousRequired);
        }
    } else if !(policy.defers(item.operation) && message.batch_items.len() == 1) || locates_by_name(&item.payload) {
        return Ok(None);
    }
    let deferred = cx.asynchronous.defer(policy, &cx.client.name, cx.now, &item.payload)?;
    match deferred {
        None if indicator.is_mandatory() => Err(OpError::AsynchronousRequired),
        Some(correlation) => {
            cx.pending.deferred.push(correlation.clone());
            Ok(Some(correlation))
        }
        None => Ok(None),
    }
}

/// A Locate that names its object: quick, so answered at once.
fn locates_by_name(payload: &RequestPayload) -> bool {
    match payload {
        RequestPayload::Locate(locate) => locate.attributes.attributes.iter().any(|a| matches!(a, Attribute::Name(_))),
        _ => false,
    }
}
