//! Request and response payloads, one module per operation (or family of operations), and the
//! table that ties each Operation to its payload types.
//!
//! An operation that this model knows but the server does not implement still decodes (so it
//! is answered with Operation Not Supported, not Invalid Message); an operation code outside the
//! table is kept as a raw item.

use keyward_ttlv::enums::Operation;
use keyward_ttlv::{Encoder, Item, ItemRef, Tag};

use crate::codec::{Codec, Cx};
use crate::error::ModelResult;

mod attribute_fields;
mod object_field;
#[cfg(test)]
mod test_support;

pub mod access;
pub mod add_attribute;
pub mod adjust_attribute;
pub mod cancel;
pub mod certify;
pub mod check;
pub mod common;
pub mod create;
pub mod create_key_pair;
pub mod create_split_key;
pub mod decrypt;
pub mod delegated_login;
pub mod delete_attribute;
pub mod derive_key;
pub mod discover_versions;
pub mod encrypt;
pub mod export;
pub mod get;
pub mod get_attribute_list;
pub mod get_attributes;
pub mod get_constraints;
pub mod get_usage_allocation;
pub mod hash;
pub mod import;
pub mod interop;
pub mod join_split_key;
pub mod lifecycle;
pub mod locate;
pub mod log;
pub mod login;
pub mod logout;
pub mod mac;
pub mod mac_verify;
pub mod modify_attribute;
pub mod notify;
pub mod obtain_lease;
pub mod ping;
pub mod pkcs11;
pub mod poll;
pub mod process;
pub mod put;
pub mod query;
pub mod query_asynchronous_requests;
pub mod query_types;
pub mod re_certify;
pub mod re_key;
pub mod re_key_key_pair;
pub mod re_provision;
pub mod register;
pub mod revoke;
pub mod rng_retrieve;
pub mod rng_seed;
pub mod set_attribute;
pub mod set_constraints;
pub mod set_defaults;
pub mod set_endpoint_role;
pub mod sign;
pub mod signature_verify;
pub mod validate;

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
    CreateKeyPair = CreateKeyPair => create_key_pair::CreateKeyPairRequest, create_key_pair::CreateKeyPairResponse;
    Register = Register => register::RegisterRequest, register::RegisterResponse;
    ReKey = ReKey => re_key::ReKeyRequest, re_key::ReKeyResponse;
    DeriveKey = DeriveKey => derive_key::DeriveKeyRequest, derive_key::DeriveKeyResponse;
    Certify = Certify => certify::CertifyRequest, certify::CertifyResponse;
    ReCertify = ReCertify => re_certify::ReCertifyRequest, re_certify::ReCertifyResponse;
    Locate = Locate => locate::LocateRequest, locate::LocateResponse;
    Check = Check => check::CheckRequest, check::CheckResponse;
    Get = Get => get::GetRequest, get::GetResponse;
    GetAttributes = GetAttributes => get_attributes::GetAttributesRequest, get_attributes::GetAttributesResponse;
    GetAttributeList = GetAttributeList => get_attribute_list::GetAttributeListRequest, get_attribute_list::GetAttributeListResponse;
    AddAttribute = AddAttribute => add_attribute::AddAttributeRequest, add_attribute::AddAttributeResponse;
    ModifyAttribute = ModifyAttribute => modify_attribute::ModifyAttributeRequest, modify_attribute::ModifyAttributeResponse;
    DeleteAttribute = DeleteAttribute => delete_attribute::DeleteAttributeRequest, delete_attribute::DeleteAttributeResponse;
    ObtainLease = ObtainLease => obtain_lease::ObtainLeaseRequest, obtain_lease::ObtainLeaseResponse;
    GetUsageAllocation = GetUsageAllocation => get_usage_allocation::GetUsageAllocationRequest, get_usage_allocation::GetUsageAllocationResponse;
    Activate = Activate => lifecycle::ActivateRequest, lifecycle::ActivateResponse;
    Revoke = Revoke => revoke::RevokeRequest, revoke::RevokeResponse;
    Destroy = Destroy => lifecycle::DestroyRequest, lifecycle::DestroyResponse;
    Archive = Archive => lifecycle::ArchiveRequest, lifecycle::ArchiveResponse;
    Recover = Recover => lifecycle::RecoverRequest, lifecycle::RecoverResponse;
    Validate = Validate => validate::ValidateRequest, validate::ValidateResponse;
    Query = Query => query::QueryRequest, query::QueryResponse;
    Cancel = Cancel => cancel::CancelRequest, cancel::CancelResponse;
    Poll = Poll => poll::PollRequest, poll::PollResponse;
    Notify = Notify => notify::NotifyRequest, notify::NotifyResponse;
    Put = Put => put::PutRequest, put::PutResponse;
    ReKeyKeyPair = ReKeyKeyPair => re_key_key_pair::ReKeyKeyPairRequest, re_key_key_pair::ReKeyKeyPairResponse;
    DiscoverVersions = DiscoverVersions => discover_versions::DiscoverVersionsRequest, discover_versions::DiscoverVersionsResponse;
    Encrypt = Encrypt => encrypt::EncryptRequest, encrypt::EncryptResponse;
    Decrypt = Decrypt => decrypt::DecryptRequest, decrypt::DecryptResponse;
    Sign = Sign => sign::SignRequest, sign::SignResponse;
    SignatureVerify = SignatureVerify => signature_verify::SignatureVerifyRequest, signature_verify::SignatureVerifyResponse;
    Mac = MAC => mac::MacRequest, mac::MacResponse;
    MacVerify = MACVerify => mac_verify::MacVerifyRequest, mac_verify::MacVerifyResponse;
    RngRetrieve = RNGRetrieve => rng_retrieve::RngRetrieveRequest, rng_retrieve::RngRetrieveResponse;
    RngSeed = RNGSeed => rng_seed::RngSeedRequest, rng_seed::RngSeedResponse;
    Hash = Hash => hash::HashRequest, hash::HashResponse;
    CreateSplitKey = CreateSplitKey => create_split_key::CreateSplitKeyRequest, create_split_key::CreateSplitKeyResponse;
    JoinSplitKey = JoinSplitKey => join_split_key::JoinSplitKeyRequest, join_split_key::JoinSplitKeyResponse;
    Import = Import => import::ImportRequest, import::ImportResponse;
    Export = Export => export::ExportRequest, export::ExportResponse;
    Log = Log => log::LogRequest, log::LogResponse;
    Login = Login => login::LoginRequest, login::LoginResponse;
    Logout = Logout => logout::LogoutRequest, logout::LogoutResponse;
    DelegatedLogin = DelegatedLogin => delegated_login::DelegatedLoginRequest, delegated_login::DelegatedLoginResponse;
    AdjustAttribute = AdjustAttribute => adjust_attribute::AdjustAttributeRequest, adjust_attribute::AdjustAttributeResponse;
    SetAttribute = SetAttribute => set_attribute::SetAttributeRequest, set_attribute::SetAttributeResponse;
    SetEndpointRole = SetEndpointRole => set_endpoint_role::SetEndpointRoleRequest, set_endpoint_role::SetEndpointRoleResponse;
    Pkcs11 = PKCS_11 => pkcs11::Pkcs11Request, pkcs11::Pkcs11Response;
    Interop = Interop => interop::InteropRequest, interop::InteropResponse;
    ReProvision = ReProvision => re_provision::ReProvisionRequest, re_provision::ReProvisionResponse;
    SetDefaults = SetDefaults => set_defaults::SetDefaultsRequest, set_defaults::SetDefaultsResponse;
    SetConstraints = SetConstraints => set_constraints::SetConstraintsRequest, set_constraints::SetConstraintsResponse;
    GetConstraints = GetConstraints => get_constraints::GetConstraintsRequest, get_constraints::GetConstraintsResponse;
    QueryAsynchronousRequests = QueryAsynchronousRequests => query_asynchronous_requests::QueryAsynchronousRequestsRequest, query_asynchronous_requests::QueryAsynchronousRequestsResponse;
    Process = Process => process::ProcessRequest, process::ProcessResponse;
    Ping = Ping => ping::PingRequest, ping::PingResponse;
}
