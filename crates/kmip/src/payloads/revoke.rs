//! Revoke (2.1 §6.1.44, 1.4 §4.20): an object revoked for a reason.

use crate::attributes::RevocationReason;
use crate::codec::DateTime;
use crate::identifiers::UniqueIdentifierRef;
use crate::kmip_struct;

kmip_struct! {
    pub struct RevokeRequest {
        /// Absent: the ID Placeholder.
        unique_identifier: opt UniqueIdentifierRef = UniqueIdentifier,
        revocation_reason: one RevocationReason = RevocationReason,
        /// When the compromise happened, for the compromise reasons only.
        compromise_occurrence_date: opt DateTime = CompromiseOccurrenceDate,
    }
}

kmip_struct! {
    pub struct RevokeResponse {
        unique_identifier: one String = UniqueIdentifier,
    }
}
