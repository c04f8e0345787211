//! What a typed call can end in besides its result: the server said no ([`OperationError`]), or
//! the exchange itself failed ([`SessionError`]).

use std::fmt;

use keyward_kmip::ModelError;
use keyward_kmip::enums::{Operation, ResultReason, ResultStatus};
use keyward_ttlv::KmipEnum;

use crate::ClientError;

/// A batch item the server answered with a status other than Success: the operation was refused
/// or failed, and the reason says why (KMIP 2.1 §11, 1.4 §11).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperationError {
    /// The operation the item answers; absent when the server could not read the request at all.
    pub operation: Option<Operation>,
    pub status: ResultStatus,
    pub reason: Option<ResultReason>,
    pub message: Option<String>,
}

impl OperationError {
    /// The specification's name of the reason ("Item Not Found"), or of the status when the server
    /// gave no reason.
    pub fn reason_name(&self) -> String {
        match self.reason {
            Some(reason) => enum_name(reason),
            None => enum_name(self.status),
        }
    }
}

/// The specification's name of an enumeration value, or its number when the dictionary has none.
pub fn enum_name<E: KmipEnum>(value: E) -> String {
    let raw = value.value();
    E::DEF.value_def(raw).map_or_else(|| format!("{} 0x{raw:08X}", E::DEF.name), |def| def.name.to_string())
}

impl fmt::Display for OperationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.operation {
            Some(operation) => write!(f, "{} failed: {}", enum_name(operation), self.reason_name())?,
            None => write!(f, "the request failed: {}", self.reason_name())?,
        }
        match self.message.as_deref().filter(|m| !m.is_empty()) {
            Some(message) => write!(f, " ({message})"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for OperationError {}

/// Why a typed call gave no result.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The server answered, and refused or failed the operation.
    #[error(transparent)]
    Failed(#[from] OperationError),
    /// Connecting, TLS, or the exchange of frames.
    #[error(transparent)]
    Transport(#[from] ClientError),
    /// The response is not a KMIP response this model can read.
    #[error("unreadable response: {0}")]
    Malformed(#[from] ModelError),
    /// The response is well formed but does not answer the request as KMIP says it must.
    #[error("unexpected response: {0}")]
    Unexpected(String),
    /// The server offers no protocol version this client speaks.
    #[error("the server offers no KMIP version this client speaks (it offers {offered})")]
    NoCommonVersion { offered: String },
}

impl SessionError {
    /// The server's refusal, when that is what this is.
    pub fn operation_error(&self) -> Option<&OperationError> {
        match self {
            SessionError::Failed(error) => Some(error),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_operation_the_reason_and_the_message() {
        let error = OperationError {
            operation: Some(Operation::Encrypt),
            status: ResultStatus::OperationFailed,
            reason: Some(ResultReason::WrongKeyLifecycleState),
            message: Some("the key is Pre-Active".into()),
        };
        assert_eq!(error.to_string(), "Encrypt failed: Wrong Key Lifecycle State (the key is Pre-Active)");
        let bare = OperationError { operation: None, reason: None, message: None, ..error };
        assert_eq!(bare.to_string(), "the request failed: Operation Failed");
    }
}
