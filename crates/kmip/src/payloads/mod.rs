//! Request and response payloads, one module per operation (or family of operations), and the
//! table that ties each Operation to its payload types.
//!
//! An operation that this model knows but the server does not implement still decodes (so it
//! is answered with Operation Not Supported, not Invalid Message); an operation code outside the
//! table is kept as a raw item.

use keyward_ttlv::enums::Operation;
use keyward_ttlv::{Encoder, Item, ItemRef, Tag};

use crate::codec::{Codec, Cx, Raw};
use crate::error::ModelResult;

pub mod common;
pub mod create;
pub mod discover_versions;

macro_rules! operations {
    ($( $variant:ident = $operation:ident => $request:ty, $response:ty; )*) => {
        /// The payload of a request batch item.
        #[derive(Clone, Debug, PartialEq)]
        pub enum RequestPayload {
            $( $variant($request), )*
            /// An operation code this model has no payload for, kept as it came.
            Other(Operation, Item),
        }

        /// The payload of a response batch item.
        #[derive(Clone, Debug, PartialEq)]
        pub enum ResponsePayload {
            $( $variant($response), )*
            /// An operation code this model has no payload for, kept as it came.
            Other(Operation, Item),
        }

        impl RequestPayload {
            pub fn operation(&self) -> Operation {
                match self {
                    $( RequestPayload::$variant(_) => Operation::$operation, )*
                    RequestPayload::Other(operation, _) => *operation,
                }
            }

            pub fn decode(operation: Operation, item: ItemRef<'_>, cx: &Cx) -> ModelResult<RequestPayload> {
                Ok(match operation {
                    $( Operation::$operation => RequestPayload::$variant(<$request as Codec>::decode(item, cx)?), )*
                    other => RequestPayload::Other(other, item.to_owned_item()),
                })
            }

            pub fn encode(&self, out: &mut Encoder, cx: &Cx) {
                match self {
                    $( RequestPayload::$variant(payload) => payload.encode(Tag::RequestPayload, out, cx), )*
                    RequestPayload::Other(_, item) => out.value(Tag::RequestPayload, &item.value),
                }
            }
        }

        impl ResponsePayload {
            pub fn operation(&self) -> Operation {
                match self {
                    $( ResponsePayload::$variant(_) => Operation::$operation, )*
                    ResponsePayload::Other(operation, _) => *operation,
                }
            }

            pub fn decode(operation: Operation, item: ItemRef<'_>, cx: &Cx) -> ModelResult<ResponsePayload> {
                Ok(match operation {
                    $( Operation::$operation => ResponsePayload::$variant(<$response as Codec>::decode(item, cx)?), )*
                    other => ResponsePayload::Other(other, item.to_owned_item()),
                })
            }

            pub fn encode(&self, out: &mut Encoder, cx: &Cx) {
                match self {
                    $( ResponsePayload::$variant(payload) => payload.encode(Tag::ResponsePayload, out, cx), )*
                    ResponsePayload::Other(_, item) => out.value(Tag::ResponsePayload, &item.value),
                }
            }
        }
    };
}

operations! {
    Create = Create => create::CreateRequest, create::CreateResponse;
    CreateKeyPair = CreateKeyPair => Raw, Raw;
    Register = Register => Raw, Raw;
    ReKey = ReKey => Raw, Raw;
    DeriveKey = DeriveKey => Raw, Raw;
    Certify = Certify => Raw, Raw;
    ReCertify = ReCertify => Raw, Raw;
    Locate = Locate => Raw, Raw;
    Check = Check => Raw, Raw;
    Get = Get => Raw, Raw;
    GetAttributes = GetAttributes => Raw, Raw;
    GetAttributeList = GetAttributeList => Raw, Raw;
    AddAttribute = AddAttribute => Raw, Raw;
    ModifyAttribute = ModifyAttribute => Raw, Raw;
    DeleteAttribute = DeleteAttribute => Raw, Raw;
    ObtainLease = ObtainLease => Raw, Raw;
    GetUsageAllocation = GetUsageAllocation => Raw, Raw;
    Activate = Activate => Raw, Raw;
    Revoke = Revoke => Raw, Raw;
    Destroy = Destroy => Raw, Raw;
    Archive = Archive => Raw, Raw;
    Recover = Recover => Raw, Raw;
    Validate = Validate => Raw, Raw;
    Query = Query => Raw, Raw;
    Cancel = Cancel => Raw, Raw;
    Poll = Poll => Raw, Raw;
    Notify = Notify => Raw, Raw;
    Put = Put => Raw, Raw;
    ReKeyKeyPair = ReKeyKeyPair => Raw, Raw;
    DiscoverVersions = DiscoverVersions => discover_versions::DiscoverVersionsRequest, discover_versions::DiscoverVersionsResponse;
    Encrypt = Encrypt => Raw, Raw;
    Decrypt = Decrypt => Raw, Raw;
    Sign = Sign => Raw, Raw;
    SignatureVerify = SignatureVerify => Raw, Raw;
    Mac = MAC => Raw, Raw;
    MacVerify = MACVerify => Raw, Raw;
    RngRetrieve = RNGRetrieve => Raw, Raw;
    RngSeed = RNGSeed => Raw, Raw;
    Hash = Hash => Raw, Raw;
    CreateSplitKey = CreateSplitKey => Raw, Raw;
    JoinSplitKey = JoinSplitKey => Raw, Raw;
    Import = Import => Raw, Raw;
    Export = Export => Raw, Raw;
    Log = Log => Raw, Raw;
    Login = Login => Raw, Raw;
    Logout = Logout => Raw, Raw;
    DelegatedLogin = DelegatedLogin => Raw, Raw;
    AdjustAttribute = AdjustAttribute => Raw, Raw;
    SetAttribute = SetAttribute => Raw, Raw;
    SetEndpointRole = SetEndpointRole => Raw, Raw;
    Pkcs11 = PKCS_11 => Raw, Raw;
    Interop = Interop => Raw, Raw;
    ReProvision = ReProvision => Raw, Raw;
    SetDefaults = SetDefaults => Raw, Raw;
    SetConstraints = SetConstraints => Raw, Raw;
    GetConstraints = GetConstraints => Raw, Raw;
    QueryAsynchronousRequests = QueryAsynchronousRequests => Raw, Raw;
    Process = Process => Raw, Raw;
    Ping = Ping => Raw, Raw;
}
