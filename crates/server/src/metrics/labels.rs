//! The label values of the KMIP metrics, and the dense slots that let a request find its counter
//! by arithmetic instead of by name.
//!
//! Operations and Result Reasons are KMIP enumerations: their names come from the dictionary
//! (`Get`, `ItemNotFound`), as `keyward ttlv decode` prints them, so that one vocabulary serves the
//! wire, the logs and the dashboards.

use keyward_ttlv::KmipEnum;
use keyward_ttlv::enums::{Operation, ResultReason, ResultStatus};

/// The label of an operation the metrics cannot name: an item not read far enough to know it, a
/// value KMIP does not define, or (for timings) a message that mixes operations.
pub(super) const UNKNOWN: &str = "Unknown";

/// The slot of every operation: 0 for the unknown ones, the operation's value for the others
/// (they are numbered from 1 without gaps).
pub(super) struct OperationSlots {
    names: Vec<&'static str>,
}

impl OperationSlots {
    pub(super) fn new() -> OperationSlots {
        let highest = Operation::DEF.values.iter().map(|v| v.value).max().unwrap_or(0);
        let names = (0..=highest)
            .map(|value| match value {
                0 => UNKNOWN,
                value => Operation::DEF.value_def(value).map_or(UNKNOWN, |d| d.camel),
            })
            .collect();
        OperationSlots { names }
    }

    pub(super) fn len(&self) -> usize {
        self.names.len()
    }

    pub(super) fn slot(&self, operation: Option<Operation>) -> usize {
        let value = operation.map_or(0, |o| o.value());
        usize::try_from(value).ok().filter(|&slot| slot < self.names.len()).unwrap_or(0)
    }

    pub(super) fn name(&self, slot: usize) -> &'static str {
        self.names.get(slot).copied().unwrap_or(UNKNOWN)
    }
}

/// The slot of every result: the statuses other than failure first, then failure without a
/// reason, then a reason KMIP does not define, then each Result Reason.
pub(super) struct ResultSlots {
    /// The values of the Result Reasons, sorted, each once (a renamed reason has two rows in the
    /// dictionary).
    reasons: Vec<u32>,
}

const SUCCESS: usize = 0;
const UNDONE: usize = 1;
const PENDING: usize = 2;
const FAILED: usize = 3;
const OTHER_REASON: usize = 4;
const FIRST_REASON: usize = 5;

impl ResultSlots {
    pub(super) fn new() -> ResultSlots {
        let mut reasons: Vec<u32> = ResultReason::DEF.values.iter().map(|v| v.value).collect();
        reasons.dedup();
        ResultSlots { reasons }
    }

    pub(super) fn len(&self) -> usize {
        FIRST_REASON + self.reasons.len()
    }

    pub(super) fn slot(&self, status: ResultStatus, reason: Option<ResultReason>) -> usize {
        match status {
            ResultStatus::Success => SUCCESS,
            ResultStatus::OperationUndone => UNDONE,
            ResultStatus::OperationPending => PENDING,
            _ => match reason {
                None => FAILED,
                Some(reason) => {
                    self.reasons.binary_search(&reason.value()).map_or(OTHER_REASON, |index| FIRST_REASON + index)
                }
            },
        }
    }

    pub(super) fn name(&self, slot: usize) -> &'static str {
        match slot {
            SUCCESS => "Success",
            UNDONE => "OperationUndone",
            PENDING => "OperationPending",
            FAILED => "OperationFailed",
            OTHER_REASON => "OtherReason",
            reason => self
                .reasons
                .get(reason - FIRST_REASON)
                .and_then(|&value| ResultReason::DEF.value_def(value))
                .map_or("OtherReason", |d| d.camel),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_have_their_dictionary_names() {
        let slots = OperationSlots::new();
        assert_eq!(slots.name(slots.slot(Some(Operation::Get))), "Get");
        assert_eq!(slots.name(slots.slot(Some(Operation::ReKeyKeyPair))), "ReKeyKeyPair");
        assert_eq!(slots.name(slots.slot(Some(Operation::Ping))), "Ping");
        assert_eq!(slots.slot(None), 0);
        assert_eq!(slots.slot(Some(Operation(0x8000_0001))), 0, "an extension value");
        assert_eq!(slots.name(0), UNKNOWN);
        let distinct: std::collections::HashSet<_> = (0..slots.len()).map(|s| slots.name(s)).collect();
        assert_eq!(distinct.len(), slots.len(), "every slot has a name of its own");
    }

    #[test]
    fn results_have_their_dictionary_names() {
        let slots = ResultSlots::new();
        let name = |status, reason| slots.name(slots.slot(status, reason));
        assert_eq!(name(ResultStatus::Success, None), "Success");
        assert_eq!(name(ResultStatus::OperationFailed, Some(ResultReason::ItemNotFound)), "ItemNotFound");
        assert_eq!(name(ResultStatus::OperationFailed, Some(ResultReason::GeneralFailure)), "GeneralFailure");
        assert_eq!(name(ResultStatus::OperationFailed, Some(ResultReason::ObjectArchived)), "ObjectArchived");
        assert_eq!(name(ResultStatus::OperationFailed, None), "OperationFailed");
        assert_eq!(name(ResultStatus::OperationFailed, Some(ResultReason(0x7777))), "OtherReason");
        assert_eq!(name(ResultStatus::OperationUndone, None), "OperationUndone");
        let distinct: std::collections::HashSet<_> = (0..slots.len()).map(|s| slots.name(s)).collect();
        assert_eq!(distinct.len(), slots.len(), "every slot has a name of its own");
    }
}
