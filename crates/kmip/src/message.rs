//! Request and response messages, headers and batch items (KMIP 2.1 §8, 1.4 §7).
//!
//! A request is decoded in two steps: the header first, whose Protocol Version decides how the
//! batch items are read; then each batch item on its own, so that one malformed item fails alone
//! (1.4 §11.1: "Batch item fails") while the others are processed.

use keyward_ttlv::enums::{
    AsynchronousIndicator as AsynchronousIndicatorValue, AttestationType, BatchErrorContinuationOption, CredentialType,
    Operation, ResultReason, ResultStatus,
};
use keyward_ttlv::{Encoder, ItemRef, ItemType, KmipVersion, Tag, ValueRef};

use crate::codec::{Bytes, Codec, Cx, DateTime, Raw, expect_structure, field, wrong_type};
use crate::error::{ModelError, ModelResult};
use crate::kmip_struct;
use crate::payloads::{RequestPayload, ResponsePayload};

kmip_struct! {
    /// A protocol version: major and minor number (2.1 §8.1).
    pub struct ProtocolVersion {
        major: one i32 = ProtocolVersionMajor,
        minor: one i32 = ProtocolVersionMinor,
    }
}

impl ProtocolVersion {
    pub fn of(version: KmipVersion) -> ProtocolVersion {
        ProtocolVersion { major: version.major(), minor: version.minor() }
    }

    /// The version we speak to a client that asked for this one: the same version, or for a newer
    /// minor version of a major we know, our newest of that major (clients and servers of one
    /// major version are backward compatible, 2.1 §8.1). `None` for a major version we do not
    /// speak.
    pub fn negotiate(&self) -> Option<Negotiated> {
        if let Some(version) = KmipVersion::from_numbers(self.major, self.minor) {
            return Some(Negotiated { version, newer_minor: false });
        }
        let newest_of_major = KmipVersion::ALL.into_iter().rev().find(|v| v.major() == self.major)?;
        (self.minor > newest_of_major.minor()).then_some(Negotiated { version: newest_of_major, newer_minor: true })
    }
}

/// The outcome of [`ProtocolVersion::negotiate`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Negotiated {
    pub version: KmipVersion,
    /// The client speaks a newer minor version: fields we do not know are ignored.
    pub newer_minor: bool,
}

impl Negotiated {
    pub fn cx(&self) -> Cx {
        Cx { ignore_unknown_fields: self.newer_minor, ..Cx::new(self.version) }
    }
}

/// Whether a client accepts asynchronous responses: a Boolean in 1.x and 2.0, an enumeration
/// (Mandatory, Optional, Prohibited) in 2.1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AsynchronousIndicator {
    Flag(bool),
    Value(AsynchronousIndicatorValue),
}

impl AsynchronousIndicator {
    /// True when the client insists on asynchronous processing (2.1 §11.3 Mandatory: "The server
    /// SHALL process all batch items in the request asynchronously").
    pub fn is_mandatory(&self) -> bool {
        matches!(self, AsynchronousIndicator::Value(AsynchronousIndicatorValue::Mandatory))
    }

    /// True when the client accepts asynchronous responses: True in 1.x and 2.0 (1.4 §6.7),
    /// Optional or Mandatory in 2.1 (§9.2; Prohibited, like absence, forbids them).
    pub fn allows_asynchronous(&self) -> bool {
        match self {
            AsynchronousIndicator::Flag(flag) => *flag,
            AsynchronousIndicator::Value(value) => *value != AsynchronousIndicatorValue::Prohibited,
        }
    }
}

impl Codec for AsynchronousIndicator {
    fn decode(item: ItemRef<'_>, _: &Cx) -> ModelResult<Self> {
        match item.value() {
            ValueRef::Boolean(flag) => Ok(AsynchronousIndicator::Flag(flag)),
            ValueRef::Enumeration(value) => Ok(AsynchronousIndicator::Value(AsynchronousIndicatorValue(value))),
            _ => Err(wrong_type(item, ItemType::Boolean)),
        }
    }
    fn encode(&self, tag: Tag, out: &mut Encoder, _: &Cx) {
        match self {
            AsynchronousIndicator::Flag(flag) => out.boolean(tag, *flag),
            AsynchronousIndicator::Value(value) => out.enumeration(tag, value.0),
        }
    }
}

kmip_struct! {
    /// A credential: its type and a value whose shape depends on the type (2.1 §2.2.1).
    pub struct Credential {
        credential_type: one CredentialType = CredentialType,
        credential_value: one Raw = CredentialValue,
    }
}

kmip_struct! {
    /// The requester's credentials (2.1 §9.4).
    pub struct Authentication {
        credential: many Credential = Credential,
    }
}

kmip_struct! {
    /// A vendor's extension of a batch item (2.1 §9.14).
    pub struct MessageExtension {
        vendor_identification: one String = VendorIdentification,
        criticality_indicator: one bool = CriticalityIndicator,
        vendor_extension: one Raw = VendorExtension,
    }
}

kmip_struct! {
    /// The header of a request (2.1 §8.2).
    pub struct RequestHeader {
        protocol_version: one ProtocolVersion = ProtocolVersion,
        maximum_response_size: opt i32 = MaximumResponseSize,
        client_correlation_value: opt String = ClientCorrelationValue,
        server_correlation_value: opt String = ServerCorrelationValue,
        asynchronous_indicator: opt AsynchronousIndicator = AsynchronousIndicator,
        attestation_capable_indicator: opt bool = AttestationCapableIndicator,
        attestation_type: many AttestationType = AttestationType,
        authentication: opt Authentication = Authentication,
        batch_error_continuation_option: opt BatchErrorContinuationOption = BatchErrorContinuationOption,
        batch_order_option: opt bool = BatchOrderOption,
        time_stamp: opt DateTime = TimeStamp,
        batch_count: one i32 = BatchCount,
    }
}

impl RequestHeader {
    /// A header with only what every request needs: the version and the batch count.
    pub fn new(version: KmipVersion, batch_count: usize) -> RequestHeader {
        RequestHeader {
            protocol_version: ProtocolVersion::of(version),
            maximum_response_size: None,
            client_correlation_value: None,
            server_correlation_value: None,
            asynchronous_indicator: None,
            attestation_capable_indicator: None,
            attestation_type: Vec::new(),
            authentication: None,
            batch_error_continuation_option: None,
            batch_order_option: None,
            time_stamp: None,
            batch_count: i32::try_from(batch_count).unwrap_or(i32::MAX),
        }
    }
}

/// One operation of a request.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestBatchItem {
    pub operation: Operation,
    /// 2.x: the client does not want the operation's data output returned.
    pub ephemeral: Option<bool>,
    pub unique_batch_item_id: Option<Bytes>,
    pub payload: RequestPayload,
    pub message_extensions: Vec<MessageExtension>,
}

/// A batch item that could not be decoded; what could be read of it is kept for the response.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchItemError {
    pub operation: Option<Operation>,
    pub unique_batch_item_id: Option<Bytes>,
    pub error: ModelError,
}

impl RequestBatchItem {
    /// Decodes a batch item. The Operation and the Unique Batch Item ID are read first, so that
    /// even an item whose payload is malformed can be answered with them.
    pub fn decode(item: ItemRef<'_>, cx: &Cx) -> Result<RequestBatchItem, BatchItemError> {
        let mut operation: Option<Operation> = None;
        let mut id: Option<Bytes> = None;
        for child in item.children() {
            match child.tag() {
                Tag::Operation => operation = Operation::decode(child, cx).ok(),
                Tag::UniqueBatchItemID => id = Bytes::decode(child, cx).ok(),
                _ => {}
            }
        }
        let fail = |error: ModelError| BatchItemError { operation, unique_batch_item_id: id.clone(), error };
        Self::decode_fields(item, cx).map_err(fail)
    }

    fn decode_fields(item: ItemRef<'_>, cx: &Cx) -> ModelResult<RequestBatchItem> {
        expect_structure(item)?;
        let mut operation: Option<Operation> = None;
        let mut ephemeral: Option<bool> = None;
        let mut unique_batch_item_id: Option<Bytes> = None;
        let mut payload: Option<ItemRef<'_>> = None;
        let mut message_extensions = Vec::new();
        for child in item.children() {
            match child.tag() {
                Tag::Operation => field::set_once(&mut operation, item.tag(), child, cx)?,
                Tag::Ephemeral => field::set_once(&mut ephemeral, item.tag(), child, cx)?,
                Tag::UniqueBatchItemID => field::set_once(&mut unique_batch_item_id, item.tag(), child, cx)?,
                Tag::RequestPayload if payload.is_none() => payload = Some(child),
                Tag::RequestPayload => {
                    return Err(ModelError::DuplicateField {
                        parent: item.tag(),
                        field: child.tag(),
                        offset: child.offset(),
                    });
                }
                Tag::MessageExtension => message_extensions.push(MessageExtension::decode(child, cx)?),
                _ => field::unexpected_unless_ignorable(item, child, cx)?,
            }
        }
        let operation = field::required(operation, item, Tag::Operation)?;
        let payload = field::required(payload, item, Tag::RequestPayload)?;
        let payload = RequestPayload::decode(operation, payload, cx)?;
        Ok(RequestBatchItem { operation, ephemeral, unique_batch_item_id, payload, message_extensions })
    }

    pub fn encode(&self, out: &mut Encoder, cx: &Cx) {
        let open = out.begin(Tag::BatchItem);
        self.operation.encode(Tag::Operation, out, cx);
        field::encode_opt(&self.ephemeral, Tag::Ephemeral, out, cx);
        field::encode_opt(&self.unique_batch_item_id, Tag::UniqueBatchItemID, out, cx);
        self.payload.encode(out, cx);
        field::encode_all(&self.message_extensions, Tag::MessageExtension, out, cx);
        out.end(open);
    }
}

/// A request message.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestMessage {
    pub header: RequestHeader,
    pub batch_items: Vec<Result<RequestBatchItem, BatchItemError>>,
    /// The version the message was read in, and that its response is written in.
    pub version: KmipVersion,
}

/// A request that cannot be processed at all: the whole message is answered with one failed batch
/// item without an Operation (1.4 §11.1).
#[derive(Clone, Debug, PartialEq)]
pub enum RequestError {
    /// The message or its header cannot be parsed.
    Malformed { error: ModelError, version: Option<ProtocolVersion> },
    /// A protocol major version we do not speak.
    UnsupportedVersion(ProtocolVersion),
}

impl RequestMessage {
    /// A request of `version` holding these payloads, one batch item each (for clients).
    pub fn new(version: KmipVersion, payloads: Vec<RequestPayload>) -> RequestMessage {
        let batch_items: Vec<_> = payloads
            .into_iter()
            .map(|payload| {
                Ok(RequestBatchItem {
                    operation: payload.operation(),
                    ephemeral: None,
                    unique_batch_item_id: None,
                    payload,
                    message_extensions: Vec::new(),
                })
            })
            .collect();
        RequestMessage { header: RequestHeader::new(version, batch_items.len()), batch_items, version }
    }

    /// The encoded message.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Encoder::new();
        self.encode(&mut out);
        out.into_bytes()
    }

    /// Decodes a request message from its validated root item.
    pub fn decode(root: ItemRef<'_>) -> Result<RequestMessage, RequestError> {
        let malformed =
            |error: ModelError, version: Option<ProtocolVersion>| RequestError::Malformed { error, version };
        if root.tag() != Tag::RequestMessage {
            return Err(malformed(ModelError::invalid(root.tag(), root.offset(), "not a Request Message"), None));
        }
        expect_structure(root).map_err(|e| malformed(e, None))?;
        let header_item = root.child(Tag::RequestHeader);
        // The version comes first: it decides how everything else is read.
        let requested = header_item
            .and_then(|h| h.child(Tag::ProtocolVersion))
            .and_then(|v| ProtocolVersion::decode(v, &Cx::new(KmipVersion::V1_0)).ok());
        let Some(requested) = requested else {
            let error = ModelError::MissingField {
                parent: Tag::RequestHeader,
                field: Tag::ProtocolVersion,
                offset: root.offset(),
            };
            return Err(malformed(error, None));
        };
        let negotiated = requested.negotiate().ok_or(RequestError::UnsupportedVersion(requested.clone()))?;
        let cx = negotiated.cx();
        let header_item = header_item.ok_or_else(|| {
            malformed(
                ModelError::MissingField { parent: Tag::RequestMessage, field: Tag::RequestHeader, offset: 0 },
                Some(requested.clone()),
            )
        })?;
        let header = RequestHeader::decode(header_item, &cx).map_err(|e| malformed(e, Some(requested.clone())))?;

        let mut batch_items = Vec::new();
        let mut headers = 0;
        for child in root.children() {
            match child.tag() {
                Tag::RequestHeader => headers += 1,
                Tag::BatchItem => batch_items.push(RequestBatchItem::decode(child, &cx)),
                _ => {
                    if let Err(error) = field::unexpected_unless_ignorable(root, child, &cx) {
                        return Err(malformed(error, Some(requested)));
                    }
                }
            }
        }
        if headers > 1 {
            let error = ModelError::DuplicateField {
                parent: Tag::RequestMessage,
                field: Tag::RequestHeader,
                offset: root.offset(),
            };
            return Err(malformed(error, Some(requested)));
        }
        if usize::try_from(header.batch_count).ok() != Some(batch_items.len()) || batch_items.is_empty() {
            let reason = format!(
                "Batch Count is {} but the message holds {} batch items",
                header.batch_count,
                batch_items.len()
            );
            return Err(malformed(ModelError::invalid(Tag::BatchCount, root.offset(), reason), Some(requested)));
        }
        Ok(RequestMessage { header, batch_items, version: negotiated.version })
    }

    /// Encodes the message (for clients: tests, the bench, the conformance runner).
    pub fn encode(&self, out: &mut Encoder) {
        let cx = Cx::new(self.version);
        let open = out.begin(Tag::RequestMessage);
        self.header.encode(Tag::RequestHeader, out, &cx);
        for item in self.batch_items.iter().flatten() {
            item.encode(out, &cx);
        }
        out.end(open);
    }
}

kmip_struct! {
    /// A server's nonce for attestation (2.1 §2.1.14).
    pub struct Nonce {
        nonce_id: one Bytes = NonceID,
        nonce_value: one Bytes = NonceValue,
    }
}

kmip_struct! {
    /// The header of a response (2.1 §8.5).
    pub struct ResponseHeader {
        protocol_version: one ProtocolVersion = ProtocolVersion,
        time_stamp: one DateTime = TimeStamp,
        nonce: opt Nonce = Nonce,
        server_hashed_password: opt Bytes = ServerHashedPassword,
        attestation_type: many AttestationType = AttestationType,
        client_correlation_value: opt String = ClientCorrelationValue,
        server_correlation_value: opt String = ServerCorrelationValue,
        batch_count: one i32 = BatchCount,
    }
}

/// The result of one operation.
#[derive(Clone, Debug, PartialEq)]
pub struct ResponseBatchItem {
    /// Absent only when the request could not be parsed far enough to know it.
    pub operation: Option<Operation>,
    pub unique_batch_item_id: Option<Bytes>,
    pub result_status: ResultStatus,
    pub result_reason: Option<ResultReason>,
    pub result_message: Option<String>,
    pub asynchronous_correlation_value: Option<Bytes>,
    pub payload: Option<ResponsePayload>,
    pub message_extension: Option<MessageExtension>,
}

impl ResponseBatchItem {
    pub fn success(
        operation: Operation,
        unique_batch_item_id: Option<Bytes>,
        payload: ResponsePayload,
    ) -> ResponseBatchItem {
        ResponseBatchItem {
            operation: Some(operation),
            unique_batch_item_id,
            result_status: ResultStatus::Success,
            result_reason: None,
            result_message: None,
            asynchronous_correlation_value: None,
            payload: Some(payload),
            message_extension: None,
        }
    }

    /// An operation not completed yet (1.4 §6.9 Operation Pending): with the Asynchronous
    /// Correlation Value of the operation when it was just deferred (§6.8), without one when a
    /// Poll finds it still running (§4.28: "no payload and a Result Status of Pending").
    pub fn pending(
        operation: Operation,
        unique_batch_item_id: Option<Bytes>,
        asynchronous_correlation_value: Option<Bytes>,
    ) -> ResponseBatchItem {
        ResponseBatchItem {
            operation: Some(operation),
            unique_batch_item_id,
            result_status: ResultStatus::OperationPending,
            result_reason: None,
            result_message: None,
            asynchronous_correlation_value,
            payload: None,
            message_extension: None,
        }
    }

    pub fn failure(
        operation: Option<Operation>,
        unique_batch_item_id: Option<Bytes>,
        reason: ResultReason,
        message: impl Into<String>,
    ) -> ResponseBatchItem {
        ResponseBatchItem {
            operation,
            unique_batch_item_id,
            result_status: ResultStatus::OperationFailed,
            result_reason: Some(reason),
            result_message: Some(message.into()),
            asynchronous_correlation_value: None,
            payload: None,
            message_extension: None,
        }
    }

    pub fn encode(&self, out: &mut Encoder, cx: &Cx) {
        let open = out.begin(Tag::BatchItem);
        field::encode_opt(&self.operation, Tag::Operation, out, cx);
        field::encode_opt(&self.unique_batch_item_id, Tag::UniqueBatchItemID, out, cx);
        self.result_status.encode(Tag::ResultStatus, out, cx);
        field::encode_opt(&self.result_reason, Tag::ResultReason, out, cx);
        field::encode_opt(&self.result_message, Tag::ResultMessage, out, cx);
        field::encode_opt(&self.asynchronous_correlation_value, Tag::AsynchronousCorrelationValue, out, cx);
        if let Some(payload) = &self.payload {
            payload.encode(out, cx);
        }
        field::encode_opt(&self.message_extension, Tag::MessageExtension, out, cx);
        out.end(open);
    }

    pub fn decode(item: ItemRef<'_>, cx: &Cx) -> ModelResult<ResponseBatchItem> {
        expect_structure(item)?;
        let mut operation = None;
        let mut unique_batch_item_id = None;
        let mut result_status = None;
        let mut result_reason = None;
        let mut result_message = None;
        let mut asynchronous_correlation_value = None;
        let mut payload = None;
        let mut message_extension = None;
        for child in item.children() {
            match child.tag() {
                Tag::Operation => field::set_once(&mut operation, item.tag(), child, cx)?,
                Tag::UniqueBatchItemID => field::set_once(&mut unique_batch_item_id, item.tag(), child, cx)?,
                Tag::ResultStatus => field::set_once(&mut result_status, item.tag(), child, cx)?,
                Tag::ResultReason => field::set_once(&mut result_reason, item.tag(), child, cx)?,
                Tag::ResultMessage => field::set_once(&mut result_message, item.tag(), child, cx)?,
                Tag::AsynchronousCorrelationValue => {
                    field::set_once(&mut asynchronous_correlation_value, item.tag(), child, cx)?
                }
                Tag::ResponsePayload => payload = Some(child),
                Tag::MessageExtension => field::set_once(&mut message_extension, item.tag(), child, cx)?,
                _ => field::unexpected_unless_ignorable(item, child, cx)?,
            }
        }
        let payload = match (operation, payload) {
            (Some(operation), Some(payload)) => Some(ResponsePayload::decode(operation, payload, cx)?),
            _ => None,
        };
        Ok(ResponseBatchItem {
            operation,
            unique_batch_item_id,
            result_status: field::required(result_status, item, Tag::ResultStatus)?,
            result_reason,
            result_message,
            asynchronous_correlation_value,
            payload,
            message_extension,
        })
    }
}

/// A response message.
#[derive(Clone, Debug, PartialEq)]
pub struct ResponseMessage {
    pub header: ResponseHeader,
    pub batch_items: Vec<ResponseBatchItem>,
}

impl ResponseMessage {
    /// A response of `version` stamped `time_stamp` holding these batch items, with no optional
    /// header field (a server echoes none of them unless it chooses to).
    pub fn new(version: KmipVersion, time_stamp: DateTime, batch_items: Vec<ResponseBatchItem>) -> ResponseMessage {
        let header = ResponseHeader {
            protocol_version: ProtocolVersion::of(version),
            time_stamp,
            nonce: None,
            server_hashed_password: None,
            attestation_type: Vec::new(),
            client_correlation_value: None,
            server_correlation_value: None,
            batch_count: i32::try_from(batch_items.len()).unwrap_or(i32::MAX),
        };
        ResponseMessage { header, batch_items }
    }

    /// Decodes a whole response buffer (for clients).
    pub fn from_bytes(bytes: &[u8]) -> ModelResult<ResponseMessage> {
        ResponseMessage::decode(keyward_ttlv::decode(bytes, &keyward_ttlv::Limits::default())?)
    }

    /// Encodes the response for the version of its header.
    pub fn encode(&self, out: &mut Encoder) {
        let version = KmipVersion::from_numbers(self.header.protocol_version.major, self.header.protocol_version.minor)
            .unwrap_or(KmipVersion::LATEST);
        let cx = Cx::new(version);
        let open = out.begin(Tag::ResponseMessage);
        self.header.encode(Tag::ResponseHeader, out, &cx);
        for item in &self.batch_items {
            item.encode(out, &cx);
        }
        out.end(open);
    }

    /// Decodes a response (for clients).
    pub fn decode(root: ItemRef<'_>) -> ModelResult<ResponseMessage> {
        if root.tag() != Tag::ResponseMessage {
            return Err(ModelError::invalid(root.tag(), root.offset(), "not a Response Message"));
        }
        expect_structure(root)?;
        let header_item = root.child(Tag::ResponseHeader).ok_or(ModelError::MissingField {
            parent: Tag::ResponseMessage,
            field: Tag::ResponseHeader,
            offset: root.offset(),
        })?;
        let version = header_item
            .child(Tag::ProtocolVersion)
            .and_then(|v| ProtocolVersion::decode(v, &Cx::new(KmipVersion::V1_0)).ok())
            .and_then(|v| v.negotiate())
            .map_or(Cx::new(KmipVersion::LATEST), |n| n.cx());
        let header = ResponseHeader::decode(header_item, &version)?;
        let mut batch_items = Vec::new();
        for child in root.children().filter(|c| c.tag() == Tag::BatchItem) {
            batch_items.push(ResponseBatchItem::decode(child, &version)?);
        }
        Ok(ResponseMessage { header, batch_items })
    }
}
