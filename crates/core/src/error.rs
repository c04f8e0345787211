//! Why an operation failed, and the one place where failures become KMIP Result Reasons.
//!
//! The reason depends on the version of the request: KMIP 2.0 added precise reasons (Attribute
//! Read Only, Wrong Key Lifecycle State, Object Not Found...) where 1.x had general ones, and a 1.x
//! client must never receive a value its version does not define.

use keyward_kmip::ModelError;
use keyward_kmip::enums::{Operation, ResultReason};
use keyward_store::StoreError;
use keyward_ttlv::KmipVersion;

/// A failed operation.
#[derive(Debug, thiserror::Error)]
pub enum OpError {
    /// The request (or this batch item) does not fit the protocol.
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error("no object {0}")]
    ObjectNotFound(String),
    /// A Template named in a 1.x request does not exist.
    #[error("no template named {0}")]
    TemplateNotFound(String),
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    #[error("operation {0:?} is not supported")]
    OperationNotSupported(Operation),
    #[error("not supported: {0}")]
    FeatureNotSupported(String),
    #[error("invalid field: {0}")]
    InvalidField(String),
    /// A key the server's algorithm policy does not allow it to make: "Incorrect attribute
    /// value(s) specified", Invalid Field (1.4 Table 328, Create, and Table 329, Create Key Pair).
    /// 2.x keeps Invalid Field in the lists of Create, Create Key Pair, Re-key, Re-key Key Pair and
    /// Derive Key (2.1 §6.1.8.1, §6.1.9.1, §6.1.46.1, §6.1.47.1, §6.1.13.1) beside Invalid
    /// Attribute Value (absent from Re-key's); one reason in every version, the one 1.x names.
    #[error("{0}")]
    DisallowedKey(String),
    #[error("missing data: {0}")]
    MissingData(String),
    /// The object is not in a state that allows the operation.
    #[error("{0}")]
    WrongState(String),
    /// A client tried to set, change or delete an attribute that only the server sets.
    #[error("attribute {0} is read-only")]
    ReadOnlyAttribute(String),
    #[error("attribute {0} not found")]
    AttributeNotFound(String),
    /// The object has the attribute, but not the instance a 1.x Attribute Index or a 2.x Current
    /// Attribute names: 1.x "No matching attribute instance exists" is Item Not Found (1.4 Tables
    /// 342 and 343, 1.0 Tables 240 and 241); 2.x has Attribute Instance Not Found.
    #[error("{0}")]
    AttributeInstanceNotFound(String),
    /// Modify Attribute of an attribute the object does not have: "it needs to first be added",
    /// Invalid Field in 1.x (1.4 Table 342, 1.0 Table 240), Attribute Not Found in 2.x.
    #[error("attribute {0} does not exist; it must be added first")]
    AttributeNotYetAdded(String),
    /// A second instance of a single-instance attribute.
    #[error("attribute {0} may have only one instance")]
    SingleValuedAttribute(String),
    #[error("the name {0:?} is already used by another object")]
    NonUniqueName(String),
    /// Add or Modify Attribute giving a Name that another object (or another instance) has:
    /// Illegal Operation in 1.x (1.4 Tables 341 and 342, 1.0 Tables 239 and 240), where Create
    /// and Register say Invalid Field; Non Unique Name Attribute in 2.x.
    #[error("the name {0:?} is already used by another object")]
    NameInUse(String),
    /// Add Attribute of a single-instance attribute the object has: "The specified attribute
    /// already exists", Illegal Operation in 1.x (1.4 Table 341); Attribute Single Valued in 2.x.
    #[error("the object already has {0}, which may have only one instance")]
    AttributeExists(String),
    /// Create Key Pair or Re-key Key Pair attributes that give both keys one Name (in the common
    /// attributes, or in both keys' own): the pair would break the uniqueness of names by itself.
    #[error("the name {0:?} would name both keys of the pair; a Name belongs in one key's own attributes")]
    NameForBothKeys(String),
    #[error("object {0} has been destroyed")]
    ObjectDestroyed(String),
    /// Destroy of an object already destroyed: Permission Denied in 1.x ("Object exists, but has
    /// already been destroyed", 1.4 Table 348, 1.0 alike), Object Destroyed in 2.x.
    #[error("object {0} has already been destroyed")]
    AlreadyDestroyed(String),
    #[error("object {0} is archived")]
    ObjectArchived(String),
    #[error("the object's usage mask does not allow {0}")]
    IncompatibleUsageMask(String),
    #[error("the key is sensitive: {0}")]
    Sensitive(String),
    #[error("the key is not extractable: {0}")]
    NotExtractable(String),
    #[error("key format type not supported: {0}")]
    KeyFormatTypeNotSupported(String),
    #[error("key compression type not supported: {0}")]
    KeyCompressionTypeNotSupported(String),
    #[error("cryptographic failure: {0}")]
    CryptographicFailure(String),
    /// Cryptographic Parameters the key they are given for does not have (2.1 §7.18).
    #[error("bad cryptographic parameters: {0}")]
    BadCryptographicParameters(String),
    /// A wrapped key's encoding cannot be produced or read (1.1 and later: Encoding Option Error).
    #[error("encoding option: {0}")]
    EncodingOption(String),
    /// Import of an identifier that exists, without Replace Existing.
    #[error("object {0} already exists")]
    ObjectAlreadyExists(String),
    /// A certificate request that does not parse or whose self-signature does not verify.
    #[error("invalid certificate request: {0}")]
    InvalidCsr(String),
    /// Cryptographic parameters the specification defines but this server does not offer.
    #[error("unsupported cryptographic parameters: {0}")]
    UnsupportedParameters(String),
    /// The mode needs an IV, counter or nonce, and none was given or asked to be generated.
    #[error("the operation needs an IV, counter or nonce")]
    MissingIv,
    /// A Message Extension marked critical that this server does not understand.
    #[error("critical message extension of {0:?} not understood")]
    UnknownCriticalExtension(String),
    #[error("index out of bounds: {0}")]
    IndexOutOfBounds(String),
    /// A PKCS#11 function the relay does not know (a vendor-defined one): 2.1 Table 275.
    #[error("PKCS#11 function {0} is not offered")]
    Pkcs11InvalidFunction(String),
    /// A PKCS#11 interface other than the default: 2.1 Table 275.
    #[error("PKCS#11 interface {0:?} is not offered")]
    Pkcs11InvalidInterface(String),
    /// Re-key of an object that is not a symmetric key, Re-key Key Pair of one that is not a
    /// private key: "Object specified is not able to be re-keyed", Permission Denied in 1.x (1.4
    /// Tables 331 and 332, 1.0 Table 230), Invalid Object Type in 2.x (2.1 Tables 307 and 312).
    #[error("{0}")]
    NotReKeyable(String),
    /// Use of a key whose value is not on the server: gone (a destroyed key that Re-key or Re-key
    /// Key Pair would replace), or never given (registered without it, 1.2 §3.41): Key Value Not
    /// Present (1.2 and later, 2.x; 1.4 Tables 331 to 333 and 353 to 358); 1.0 and 1.1 have no
    /// such reason and say the operation is not permitted, Permission Denied.
    #[error("the key value of {0} is not present on the server")]
    KeyValueNotPresent(String),
    /// Key Format Type PKCS#12 without exactly one PKCS#12 Password Link to an Active Secret Data
    /// Password, or a password that does not open the container: Bad Password in 2.x (2.1 §11.46
    /// Table 478), Invalid Field in 1.4 (Table 330, Register).
    #[error("PKCS#12 password: {0}")]
    BadPassword(String),
    /// A Re-key, Re-key Key Pair or Re-certify with an Offset and a date the Offset computes:
    /// Invalid Message (1.4 Tables 331, 332 and 335; 2.1 Table 307 lists it).
    #[error("an Offset cannot be given together with the {0} it computes")]
    OffsetWithDates(String),
    /// Get Usage Allocation of an object that cannot apply protection: Illegal Operation in 1.x
    /// (1.4 Table 345), Invalid Object Type in 2.x (2.1 §6.1.23.1).
    #[error("{0}")]
    NotForProtection(String),
    /// Get Usage Allocation of an object without Usage Limits: Illegal Operation in 1.x (1.4
    /// Table 345), Attribute Not Found in 2.x (2.1 §6.1.23.1).
    #[error("the object has no Usage Limits")]
    NoUsageLimits,
    /// Get Usage Allocation of more units than are left: Permission Denied in 1.x (1.4 Table 345,
    /// "not able to grant the requested amount"), Usage Limit Exceeded in 2.x.
    #[error("usage allocation refused: {0}")]
    AllocationRefused(String),
    /// An operation the object's nature or attributes do not allow (1.x Illegal Operation).
    #[error("illegal operation: {0}")]
    IllegalOperation(String),
    /// Poll of an asynchronous operation that does not exist, has expired or is another
    /// client's (1.4 Table 352: Item Not Found; 2.1 §6.1.38.1: Invalid Asynchronous Correlation
    /// Value).
    #[error("no asynchronous operation with this correlation value")]
    UnknownCorrelationValue,
    /// Poll of an operation another Poll is running: not a failure, the dispatcher answers it
    /// Operation Pending (1.4 §4.28).
    #[error("the operation is still pending")]
    StillPending,
    /// The failure of an operation a worker completed, handed on by its Poll with the Result
    /// Reason it had (1.4 §4.28: the response "identical to the response that would have been
    /// sent if the operation had completed synchronously").
    #[error("{message}")]
    Relayed { reason: ResultReason, message: String },
    /// A multi-part operation that does not exist (or not for this client).
    #[error("no multi-part operation with this correlation value")]
    InvalidCorrelationValue,
    #[error("the response exceeds the Maximum Response Size")]
    ResponseTooLarge,
    /// A client's share of the server's multi-part streams is used up: "Some limit on the server
    /// ... has been exceeded", Server Limit Exceeded (2.1 §11.46, from 2.0); General Failure in
    /// 1.x, which has no closer reason (1.4 §11.1).
    #[error("{0}")]
    StreamLimit(String),
    /// 2.1 Mandatory asynchronous processing of an item this server does not defer (its policy is
    /// off, or the client has as many operations pending as it may).
    #[error("the request needs asynchronous processing, which this server cannot give it now")]
    AsynchronousRequired,
    #[error("storage failure: {0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    GeneralFailure(String),
}

pub type OpResult<T> = Result<T, OpError>;

impl OpError {
    /// The Result Reason for this failure in a response of `version`.
    pub fn result_reason(&self, version: KmipVersion) -> ResultReason {
        let v2 = !version.is_1x();
        let reason = match self {
            OpError::Model(ModelError::UnexpectedField { .. }) | OpError::Model(ModelError::InvalidValue { .. }) => {
                ResultReason::InvalidField
            }
            OpError::Model(ModelError::UnknownAttribute(_)) if v2 => ResultReason::UnsupportedAttribute,
            OpError::Model(ModelError::UnknownAttribute(_)) => ResultReason::InvalidField,
            OpError::Model(ModelError::UnknownOperation(_)) => ResultReason::OperationNotSupported,
            OpError::Model(_) => ResultReason::InvalidMessage,
            OpError::ObjectNotFound(_) if v2 => ResultReason::ObjectNotFound,
            OpError::ObjectNotFound(_) | OpError::TemplateNotFound(_) => ResultReason::ItemNotFound,
            OpError::PermissionDenied(_) => ResultReason::PermissionDenied,
            OpError::OperationNotSupported(_) => ResultReason::OperationNotSupported,
            OpError::FeatureNotSupported(_) | OpError::AsynchronousRequired => ResultReason::FeatureNotSupported,
            OpError::UnknownCriticalExtension(_) if v2 => ResultReason::UnknownMessageExtension,
            OpError::UnknownCriticalExtension(_) => ResultReason::FeatureNotSupported,
            OpError::InvalidField(_) => ResultReason::InvalidField,
            OpError::DisallowedKey(_) => ResultReason::InvalidField,
            OpError::MissingData(_) => ResultReason::MissingData,
            // KMIP 1.x has no lifecycle reason; its test cases answer Permission Denied (for
            // example a Destroy of an Active key, SKLC-M-2-10). So do the 2.0 test cases
            // (AKLC-M-2-20, CS-BC-M-14-20), Permission Denied being among the reasons the 2.0
            // error tables list; the 2.1 test cases use the precise reason.
            OpError::WrongState(_) if version >= KmipVersion::V2_1 => ResultReason::WrongKeyLifecycleState,
            OpError::WrongState(_) => ResultReason::PermissionDenied,
            OpError::ReadOnlyAttribute(_) if v2 => ResultReason::AttributeReadOnly,
            OpError::ReadOnlyAttribute(_) => ResultReason::PermissionDenied,
            OpError::AttributeNotFound(_) if v2 => ResultReason::AttributeNotFound,
            OpError::AttributeNotFound(_) => ResultReason::ItemNotFound,
            OpError::AttributeInstanceNotFound(_) if v2 => ResultReason::AttributeInstanceNotFound,
            OpError::AttributeInstanceNotFound(_) => ResultReason::ItemNotFound,
            OpError::AttributeNotYetAdded(_) if v2 => ResultReason::AttributeNotFound,
            OpError::AttributeNotYetAdded(_) => ResultReason::InvalidField,
            OpError::SingleValuedAttribute(_) if v2 => ResultReason::AttributeSingleValued,
            OpError::SingleValuedAttribute(_) => ResultReason::IndexOutOfBounds,
            OpError::NonUniqueName(_) if v2 => ResultReason::NonUniqueNameAttribute,
            OpError::NonUniqueName(_) => ResultReason::InvalidField,
            // 2.1 Table 192 lists Non Unique Name Attribute, "trying to perform an operation that
            // requests the server to break the constraint on Name attribute being unique"; 1.4
            // Table 329 says Invalid Field for a Name that is not unique.
            OpError::NameInUse(_) if v2 => ResultReason::NonUniqueNameAttribute,
            OpError::AttributeExists(_) if v2 => ResultReason::AttributeSingleValued,
            OpError::NameInUse(_) | OpError::AttributeExists(_) => ResultReason::IllegalOperation,
            OpError::NameForBothKeys(_) if v2 => ResultReason::NonUniqueNameAttribute,
            OpError::NameForBothKeys(_) => ResultReason::InvalidField,
            OpError::ObjectDestroyed(_) if v2 => ResultReason::ObjectDestroyed,
            OpError::ObjectDestroyed(_) => ResultReason::ItemNotFound,
            OpError::AlreadyDestroyed(_) if v2 => ResultReason::ObjectDestroyed,
            OpError::AlreadyDestroyed(_) => ResultReason::PermissionDenied,
            OpError::ObjectArchived(_) => ResultReason::ObjectArchived,
            OpError::IncompatibleUsageMask(_) if v2 => ResultReason::IncompatibleCryptographicUsageMask,
            OpError::IncompatibleUsageMask(_) => ResultReason::PermissionDenied,
            OpError::Sensitive(_) => ResultReason::Sensitive,
            OpError::NotExtractable(_) => ResultReason::NotExtractable,
            OpError::KeyFormatTypeNotSupported(_) => ResultReason::KeyFormatTypeNotSupported,
            OpError::KeyCompressionTypeNotSupported(_) => ResultReason::KeyCompressionTypeNotSupported,
            OpError::CryptographicFailure(_) => ResultReason::CryptographicFailure,
            OpError::BadCryptographicParameters(_) if v2 => ResultReason::BadCryptographicParameters,
            OpError::BadCryptographicParameters(_) => ResultReason::InvalidField,
            OpError::EncodingOption(_) => ResultReason::EncodingOptionError,
            OpError::ObjectAlreadyExists(_) => ResultReason::ObjectAlreadyExists,
            OpError::InvalidCsr(_) if v2 => ResultReason::InvalidCSR,
            OpError::InvalidCsr(_) => ResultReason::InvalidField,
            OpError::UnsupportedParameters(_) if v2 => ResultReason::UnsupportedCryptographicParameters,
            OpError::UnsupportedParameters(_) => ResultReason::InvalidField,
            OpError::MissingIv if v2 => ResultReason::MissingInitializationVector,
            OpError::MissingIv => ResultReason::MissingData,
            OpError::IndexOutOfBounds(_) if v2 => ResultReason::AttributeInstanceNotFound,
            OpError::IndexOutOfBounds(_) => ResultReason::IndexOutOfBounds,
            OpError::Pkcs11InvalidFunction(_) => ResultReason::PKCS_11InvalidFunction,
            OpError::Pkcs11InvalidInterface(_) => ResultReason::PKCS_11InvalidInterface,
            OpError::OffsetWithDates(_) => ResultReason::InvalidMessage,
            OpError::NotReKeyable(_) if v2 => ResultReason::InvalidObjectType,
            OpError::NotReKeyable(_) => ResultReason::PermissionDenied,
            OpError::KeyValueNotPresent(_) if version >= KmipVersion::V1_2 => ResultReason::KeyValueNotPresent,
            OpError::KeyValueNotPresent(_) => ResultReason::PermissionDenied,
            OpError::BadPassword(_) if v2 => ResultReason::BadPassword,
            OpError::BadPassword(_) => ResultReason::InvalidField,
            OpError::NotForProtection(_) if v2 => ResultReason::InvalidObjectType,
            OpError::NoUsageLimits if v2 => ResultReason::AttributeNotFound,
            OpError::NotForProtection(_) | OpError::NoUsageLimits => ResultReason::IllegalOperation,
            OpError::AllocationRefused(_) if v2 => ResultReason::UsageLimitExceeded,
            OpError::AllocationRefused(_) => ResultReason::PermissionDenied,
            OpError::IllegalOperation(_) if v2 => ResultReason::InvalidField,
            OpError::IllegalOperation(_) => ResultReason::IllegalOperation,
            OpError::UnknownCorrelationValue if v2 => ResultReason::InvalidAsynchronousCorrelationValue,
            OpError::UnknownCorrelationValue => ResultReason::ItemNotFound,
            OpError::InvalidCorrelationValue if v2 => ResultReason::InvalidCorrelationValue,
            OpError::InvalidCorrelationValue => ResultReason::ItemNotFound,
            OpError::ResponseTooLarge => ResultReason::ResponseTooLarge,
            OpError::Relayed { reason, .. } => *reason,
            // 2.0 added Server Limit Exceeded; 1.x falls back to General Failure below.
            OpError::Store(StoreError::LimitExceeded(_)) | OpError::StreamLimit(_) => ResultReason::ServerLimitExceeded,
            OpError::Store(_) | OpError::GeneralFailure(_) | OpError::StillPending => ResultReason::GeneralFailure,
        };
        // A reason this version does not define (a newer one, or one 2.x retired) falls back to
        // the general one.
        if keyward_ttlv::KmipEnum::exists_in(reason, version) { reason } else { ResultReason::GeneralFailure }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_follow_the_version() {
        let wrong_state = OpError::WrongState("active".into());
        assert_eq!(wrong_state.result_reason(KmipVersion::V1_0), ResultReason::PermissionDenied);
        assert_eq!(wrong_state.result_reason(KmipVersion::V2_0), ResultReason::PermissionDenied);
        assert_eq!(wrong_state.result_reason(KmipVersion::V2_1), ResultReason::WrongKeyLifecycleState);
        let missing = OpError::ObjectNotFound("x".into());
        assert_eq!(missing.result_reason(KmipVersion::V1_4), ResultReason::ItemNotFound);
        assert_eq!(missing.result_reason(KmipVersion::V2_1), ResultReason::ObjectNotFound);
        // Index Out of Bounds is 1.x only; 2.x gets its successor.
        let index = OpError::IndexOutOfBounds("3".into());
        assert_eq!(index.result_reason(KmipVersion::V1_2), ResultReason::IndexOutOfBounds);
        assert_eq!(index.result_reason(KmipVersion::V2_0), ResultReason::AttributeInstanceNotFound);
        // Sensitive exists from 1.4: a 1.2 client gets General Failure.
        assert_eq!(OpError::Sensitive("k".into()).result_reason(KmipVersion::V1_2), ResultReason::GeneralFailure);
        // A record too large for the store: Server Limit Exceeded from 2.0, General Failure before.
        let crowded = OpError::Store(StoreError::LimitExceeded("names".into()));
        assert_eq!(crowded.result_reason(KmipVersion::V2_0), ResultReason::ServerLimitExceeded);
        assert_eq!(crowded.result_reason(KmipVersion::V1_4), ResultReason::GeneralFailure);
    }
}
