//! Typed KMIP calls over one connection: a [`Session`] negotiates the protocol version, builds
//! each request with keyward-kmip's payloads for that version, and reads the response back into
//! typed payloads, or into an [`OperationError`] when the server refused.
//!
//! ```no_run
//! # async fn example(client: &keyward_client::Client) -> Result<(), keyward_client::SessionError> {
//! use keyward_client::Session;
//! let mut session = Session::open(client).await?;
//! let found = session.locate(&keyward_client::LocateFilter::default()).await?;
//! println!("{} objects", found.unique_identifiers.len());
//! session.close().await;
//! # Ok(()) }
//! ```

mod error;
pub mod negotiation;

pub use error::{OperationError, SessionError, enum_name};

use keyward_kmip::enums::{BatchErrorContinuationOption, Operation, ResultReason, ResultStatus};
use keyward_kmip::message::{ProtocolVersion, RequestMessage, ResponseBatchItem, ResponseMessage};
use keyward_kmip::payloads::discover_versions::DiscoverVersionsRequest;
use keyward_kmip::payloads::{RequestPayload, ResponsePayload};
use keyward_kmip::{Bytes, KmipVersion};
use keyward_ttlv::Limits;
use zeroize::Zeroizing;

use crate::{Client, Connection};

/// The result of one batch item of [`Session::batch`].
pub type ItemResult = Result<ResponsePayload, OperationError>;

/// An open connection that speaks one negotiated KMIP version.
pub struct Session {
    connection: Connection,
    version: KmipVersion,
    limits: Limits,
}

impl Session {
    /// Connects and negotiates the version.
    pub async fn open(client: &Client) -> Result<Session, SessionError> {
        Session::negotiate(client.connect().await?).await
    }

    /// Negotiates the version on an open connection with Discover Versions. A server that does
    /// not know the operation (a KMIP 1.0 server) is spoken to in 1.0; one that refuses a 1.x
    /// message (a 2.x-only server) is asked again in 2.x.
    pub async fn negotiate(connection: Connection) -> Result<Session, SessionError> {
        let mut session = Session::with_version(connection, negotiation::DISCOVERY_VERSION);
        let offered = match session.discover_versions().await {
            Err(SessionError::Failed(error)) if error.reason == Some(ResultReason::OperationNotSupported) => {
                session.version = KmipVersion::V1_0;
                return Ok(session);
            }
            Err(SessionError::Failed(error))
                if matches!(
                    error.reason,
                    Some(ResultReason::UnsupportedProtocolVersion | ResultReason::InvalidMessage)
                ) =>
            {
                session.version = KmipVersion::LATEST;
                session.discover_versions().await?
            }
            other => other?,
        };
        session.version = negotiation::choose(&offered)
            .ok_or_else(|| SessionError::NoCommonVersion { offered: negotiation::describe(&offered) })?;
        Ok(session)
    }

    /// Every version the server speaks (asking for none lists them all, 2.1 §6.1.16).
    async fn discover_versions(&mut self) -> Result<Vec<ProtocolVersion>, SessionError> {
        let asked = RequestPayload::DiscoverVersions(DiscoverVersionsRequest { protocol_version: Vec::new() });
        match self.call(asked).await? {
            ResponsePayload::DiscoverVersions(response) => Ok(response.protocol_version),
            _ => Err(unexpected(Operation::DiscoverVersions)),
        }
    }

    /// A session of a version chosen by the caller, without asking the server.
    pub fn with_version(connection: Connection, version: KmipVersion) -> Session {
        Session { connection, version, limits: response_limits() }
    }

    /// The version requests are sent in.
    pub fn version(&self) -> KmipVersion {
        self.version
    }

    /// Sends one operation and returns its response payload, or the server's refusal.
    pub async fn call(&mut self, payload: RequestPayload) -> Result<ResponsePayload, SessionError> {
        let operation = payload.operation();
        let request = Zeroizing::new(RequestMessage::new(self.version, vec![payload]).to_bytes());
        let response = self.connection.call(&request).await?;
        let mut items = read_response(response, &self.limits)?;
        if items.len() != 1 {
            return Err(SessionError::Unexpected(format!("{} batch items for one request", items.len())));
        }
        item_result(items.remove(0), operation)
    }

    /// Sends several operations in one message; the server goes on past a failed item, so each
    /// gets its own result, in order.
    pub async fn batch(&mut self, payloads: Vec<RequestPayload>) -> Result<Vec<ItemResult>, SessionError> {
        if payloads.is_empty() {
            return Ok(Vec::new());
        }
        let operations: Vec<Operation> = payloads.iter().map(RequestPayload::operation).collect();
        let mut message = RequestMessage::new(self.version, payloads);
        message.header.batch_error_continuation_option = Some(BatchErrorContinuationOption::Continue);
        for (index, item) in message.batch_items.iter_mut().flatten().enumerate() {
            item.unique_batch_item_id = Some(batch_item_id(index));
        }
        let request = Zeroizing::new(message.to_bytes());
        let response = self.connection.call(&request).await?;
        let items = read_response(response, &self.limits)?;
        match_batch(items, &operations)
    }

    /// Closes the connection politely.
    pub async fn close(self) {
        self.connection.close().await;
    }
}

/// Responses carry whole objects and come from the server we chose to trust: larger than the
/// server's own request limit, still bounded.
fn response_limits() -> Limits {
    Limits { max_message_size: 64 * 1024 * 1024, ..Limits::default() }
}

fn batch_item_id(index: usize) -> Bytes {
    Bytes::new(u32::try_from(index).unwrap_or(u32::MAX).to_be_bytes())
}

/// Decodes a response message into its batch items.
pub fn read_response(bytes: &[u8], limits: &Limits) -> Result<Vec<ResponseBatchItem>, SessionError> {
    let root = keyward_ttlv::decode(bytes, limits).map_err(keyward_kmip::ModelError::from)?;
    Ok(ResponseMessage::decode(root)?.batch_items)
}

/// The payload of a successful item, or the item's failure. A whole message the server could not
/// read comes back as one failed item without an Operation: that is a failure too, not a mismatch.
pub fn item_result(item: ResponseBatchItem, asked: Operation) -> Result<ResponsePayload, SessionError> {
    if item.result_status != ResultStatus::Success {
        return Err(SessionError::Failed(failure(item)));
    }
    if item.operation.is_some_and(|operation| operation != asked) {
        return Err(SessionError::Unexpected(format!(
            "a {} answer to {}",
            enum_name(item.operation.unwrap_or(asked)),
            enum_name(asked)
        )));
    }
    item.payload.ok_or_else(|| SessionError::Unexpected(format!("a {} answer without a payload", enum_name(asked))))
}

fn failure(item: ResponseBatchItem) -> OperationError {
    OperationError {
        operation: item.operation,
        status: item.result_status,
        reason: item.result_reason,
        message: item.result_message,
    }
}

/// Pairs a batch's items with the operations asked, by Unique Batch Item ID when the server echoed
/// them (it must, 2.1 §8.12), else by position.
fn match_batch(items: Vec<ResponseBatchItem>, operations: &[Operation]) -> Result<Vec<ItemResult>, SessionError> {
    // One item without an Operation answers a message the server refused as a whole.
    if let [only] = items.as_slice()
        && only.operation.is_none()
        && only.result_status != ResultStatus::Success
    {
        let error = failure(only.clone());
        return Ok(operations.iter().map(|_| Err(error.clone())).collect());
    }
    if items.len() != operations.len() {
        return Err(SessionError::Unexpected(format!(
            "{} batch items for a request of {}",
            items.len(),
            operations.len()
        )));
    }
    let mut results: Vec<Option<ItemResult>> = operations.iter().map(|_| None).collect();
    for (position, item) in items.into_iter().enumerate() {
        let index = item
            .unique_batch_item_id
            .as_ref()
            .and_then(|id| <[u8; 4]>::try_from(id.as_slice()).ok())
            .and_then(|id| usize::try_from(u32::from_be_bytes(id)).ok())
            .filter(|index| *index < operations.len())
            .unwrap_or(position);
        let result = match item_result(item, operations[index]) {
            Ok(payload) => Ok(payload),
            Err(SessionError::Failed(error)) => Err(error),
            Err(other) => return Err(other),
        };
        results[index] = Some(result);
    }
    results
        .into_iter()
        .map(|result| result.ok_or_else(|| SessionError::Unexpected("a batch item answered twice".into())))
        .collect()
}

/// A response payload of another operation than the one asked.
pub(crate) fn unexpected(asked: Operation) -> SessionError {
    SessionError::Unexpected(format!("the answer to {} is not its payload", enum_name(asked)))
}

#[cfg(test)]
mod tests;
