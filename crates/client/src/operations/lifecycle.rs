//! Activate, Revoke and Destroy: moving an object through its lifecycle.

use keyward_kmip::attributes::RevocationReason;
use keyward_kmip::enums::{Operation, RevocationReasonCode};
use keyward_kmip::payloads::lifecycle::{ActivateRequest, DestroyRequest};
use keyward_kmip::payloads::revoke::RevokeRequest;
use keyward_kmip::payloads::{RequestPayload, ResponsePayload};

use crate::session::{Session, SessionError, unexpected};

pub fn activate_request(uid: &str) -> RequestPayload {
    RequestPayload::Activate(ActivateRequest { unique_identifier: Some(uid.into()) })
}

/// Revoke for a reason; the compromise reasons date the compromise now (the server's default).
pub fn revoke_request(uid: &str, code: RevocationReasonCode, message: Option<String>) -> RequestPayload {
    RequestPayload::Revoke(RevokeRequest {
        unique_identifier: Some(uid.into()),
        revocation_reason: RevocationReason { revocation_reason_code: code, revocation_message: message },
        compromise_occurrence_date: None,
    })
}

pub fn destroy_request(uid: &str) -> RequestPayload {
    RequestPayload::Destroy(DestroyRequest { unique_identifier: Some(uid.into()) })
}

impl Session {
    pub async fn activate(&mut self, uid: &str) -> Result<(), SessionError> {
        match self.call(activate_request(uid)).await? {
            ResponsePayload::Activate(_) => Ok(()),
            _ => Err(unexpected(Operation::Activate)),
        }
    }

    pub async fn revoke(
        &mut self,
        uid: &str,
        code: RevocationReasonCode,
        message: Option<String>,
    ) -> Result<(), SessionError> {
        match self.call(revoke_request(uid, code, message)).await? {
            ResponsePayload::Revoke(_) => Ok(()),
            _ => Err(unexpected(Operation::Revoke)),
        }
    }

    pub async fn destroy(&mut self, uid: &str) -> Result<(), SessionError> {
        match self.call(destroy_request(uid)).await? {
            ResponsePayload::Destroy(_) => Ok(()),
            _ => Err(unexpected(Operation::Destroy)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revoke_carries_the_reason_and_the_message() {
        let payload = revoke_request("key-1", RevocationReasonCode::Superseded, Some("rotated".into()));
        let RequestPayload::Revoke(request) = payload else { panic!("not a Revoke") };
        assert_eq!(request.revocation_reason.revocation_reason_code, RevocationReasonCode::Superseded);
        assert_eq!(request.revocation_reason.revocation_message.as_deref(), Some("rotated"));
        assert_eq!(request.compromise_occurrence_date, None);
    }
}
