//! The response budget: how many bytes a batch's outputs may add up to, whatever the client
//! asked for. A response is built in memory before it is sent, so without a bound a batch of Gets
//! of large objects (or of RNG Retrieves) would hold as much memory as the client cares to ask.
//!
//! The budget is the smaller of the server's `max_response_size` and the client's Maximum
//! Response Size (2.1 §9.12, 1.4 §6.3). An item whose output would take the batch over it fails
//! with Response Too Large, "Maximum Response Size has been exceeded" (2.1 §11.46, 1.4 §11.1),
//! a reason every operation's error table lists in 2.1 (§6.1) and that 1.x allows for any
//! operation: its output is dropped at once, and the batch goes on as its Batch Error
//! Continuation Option says. The whole response is checked again once written.

use keyward_kmip::Cx;
use keyward_kmip::enums::{Operation, ResultStatus};
use keyward_kmip::message::ResponseBatchItem;
use keyward_ttlv::{Encoder, KmipVersion};

use crate::error::OpError;

/// The server's own bound on a response when none is configured: four times the default message
/// limit, room for a Get of the largest object a client can register with its attributes.
pub const DEFAULT_MAX_RESPONSE_SIZE: usize = 16 * 1024 * 1024;

/// How large an operation's output may grow, which says whether it is measured.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Output {
    /// Identifiers and small fixed fields: the final check of the written response covers them.
    Small,
    /// Bounded without the budget: by the request's own data (at most the message size), by the
    /// object read (registered within the message size, or a key the server made), or by a cap
    /// of the operation (RNG Retrieve). Alone in a batch such an output cannot retain more than
    /// the final check allows, so it is not measured then: measuring writes it a second time,
    /// about 4 % of an Encrypt's server CPU (docs/performance.md).
    Bounded,
    /// Grows with what the server holds (Locate, Get Attributes...): always measured.
    Unbounded,
}

fn output_of(operation: Operation) -> Output {
    match operation {
        Operation::Get
        | Operation::Export
        | Operation::RNGRetrieve
        | Operation::Hash
        | Operation::Encrypt
        | Operation::Decrypt
        | Operation::Sign
        | Operation::SignatureVerify
        | Operation::MAC => Output::Bounded,
        Operation::GetAttributes
        | Operation::GetAttributeList
        | Operation::Locate
        | Operation::Query
        | Operation::Poll => Output::Unbounded,
        _ => Output::Small,
    }
}

/// The smaller of the server's limit and the client's Maximum Response Size (a negative one is
/// ignored, as no size could satisfy it).
pub(crate) fn limit(server: usize, client: Option<i32>) -> usize {
    client.and_then(|asked| usize::try_from(asked).ok()).map_or(server, |asked| asked.min(server))
}

/// What one batch has retained so far.
pub(crate) struct Budget {
    limit: usize,
    retained: usize,
    /// The batch holds one item: an [`Output::Bounded`] one need not be measured.
    alone: bool,
    /// Where an item is written to be measured; zeroized when cleared and dropped, as it may hold
    /// key material.
    scratch: Encoder,
    cx: Cx,
}

impl Budget {
    pub(crate) fn new(limit: usize, version: KmipVersion, items: usize) -> Budget {
        Budget { limit, retained: 0, alone: items == 1, scratch: Encoder::new(), cx: Cx::new(version) }
    }

    /// Counts a successful item's output against the budget; Response Too Large when it would
    /// exceed it (or could not even be written).
    pub(crate) fn retain(&mut self, item: &ResponseBatchItem) -> Result<(), OpError> {
        let large = item.operation.map(output_of).is_some_and(|output| match output {
            Output::Small => false,
            Output::Bounded => !self.alone,
            Output::Unbounded => true,
        });
        if item.result_status != ResultStatus::Success || !large {
            return Ok(());
        }
        self.scratch.clear();
        item.encode(&mut self.scratch, &self.cx);
        let written = self.scratch.finish().map_err(|_| OpError::ResponseTooLarge);
        self.scratch.clear();
        let total = self.retained.saturating_add(written?);
        if total > self.limit {
            return Err(OpError::ResponseTooLarge);
        }
        self.retained = total;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use keyward_kmip::Bytes;
    use keyward_kmip::payloads::ResponsePayload;
    use keyward_kmip::payloads::rng_retrieve::RngRetrieveResponse;

    use super::*;

    fn random_bytes(len: usize) -> ResponseBatchItem {
        let payload = ResponsePayload::RngRetrieve(RngRetrieveResponse { data: Bytes::new(vec![7; len]) });
        ResponseBatchItem::success(Operation::RNGRetrieve, None, payload)
    }

    #[test]
    fn the_smaller_limit_applies_and_a_negative_one_is_ignored() {
        assert_eq!(limit(1000, None), 1000);
        assert_eq!(limit(1000, Some(400)), 400);
        assert_eq!(limit(1000, Some(5000)), 1000);
        assert_eq!(limit(1000, Some(-1)), 1000);
    }

    #[test]
    fn outputs_add_up_until_the_limit() {
        let mut budget = Budget::new(2500, KmipVersion::V2_1, 4);
        assert!(budget.retain(&random_bytes(1000)).is_ok());
        assert!(budget.retain(&random_bytes(1000)).is_ok());
        assert!(matches!(budget.retain(&random_bytes(1000)), Err(OpError::ResponseTooLarge)));
        // A small output still fits after a refused one, which was not counted.
        assert!(budget.retain(&random_bytes(100)).is_ok());
    }

    #[test]
    fn a_bounded_output_alone_in_its_batch_is_left_to_the_final_check() {
        assert!(Budget::new(500, KmipVersion::V2_1, 1).retain(&random_bytes(1000)).is_ok());
        assert!(Budget::new(500, KmipVersion::V2_1, 2).retain(&random_bytes(1000)).is_err());
    }
}
