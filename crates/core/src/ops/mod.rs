//! One module per operation; this table sends each request payload to its module and lists the
//! operations Query reports.

mod activate;
mod add_attribute;
mod adjust_attribute;
mod archive;
mod cancel;
mod certify;
mod check;
mod create;
mod create_key_pair;
mod create_split_key;
mod decrypt;
mod delete_attribute;
mod derive_key;
mod destroy;
mod discover_versions;
mod encrypt;
mod export;
mod get;
mod get_attribute_list;
mod get_attributes;
mod get_usage_allocation;
mod hash;
mod import;
mod interop;
mod join_split_key;
mod locate;
mod log;
mod mac;
mod mac_verify;
mod modify_attribute;
mod object_group;
mod obtain_lease;
mod ping;
mod pkcs11;
mod poll;
mod query;
mod re_certify;
pub(crate) mod re_key;
pub(crate) mod re_key_key_pair;
mod recover;
pub(crate) mod register;
mod revoke;
mod rng_retrieve;
mod rng_seed;
mod set_attribute;
mod sign;
mod signature_verify;
mod validate;

use keyward_kmip::attributes::Attribute;
use keyward_kmip::enums::{Operation, State};
use keyward_kmip::objects::ManagedObject;
use keyward_kmip::payloads::{RequestPayload, ResponsePayload};
use keyward_store::StoredObject;

use crate::attributes::find;
use crate::context::Context;
use crate::error::{OpError, OpResult};
use crate::lifecycle::stored_state;

/// The Operation of a payload variant: named alike, or given where the names differ
/// (`Mac(MAC)`).
macro_rules! operation_of {
    ($variant:ident) => {
        Operation::$variant
    };
    ($variant:ident $operation:ident) => {
        Operation::$operation
    };
}

macro_rules! operation_table {
    ($( $variant:ident $(($operation:ident))? => $module:ident, )*) => {
        /// The operations this server implements (others are answered Operation Not Supported).
        pub(crate) const SUPPORTED_OPERATIONS: &[Operation] = &[ $( operation_of!($variant $($operation)?), )* ];

        /// Runs one operation.
        pub(crate) fn execute(cx: &mut Context<'_>, payload: &RequestPayload) -> OpResult<ResponsePayload> {
            match payload {
                $( RequestPayload::$variant(request) => Ok(ResponsePayload::$variant($module::run(cx, request)?)), )*
                other => Err(OpError::OperationNotSupported(other.operation())),
            }
        }
    };
}

operation_table! {
    Create => create,
    Register => register,
    Locate => locate,
    Check => check,
    Get => get,
    GetAttributes => get_attributes,
    GetAttributeList => get_attribute_list,
    AddAttribute => add_attribute,
    ModifyAttribute => modify_attribute,
    DeleteAttribute => delete_attribute,
    ObtainLease => obtain_lease,
    GetUsageAllocation => get_usage_allocation,
    Activate => activate,
    Revoke => revoke,
    Destroy => destroy,
    Archive => archive,
    Recover => recover,
    Query => query,
    Cancel => cancel,
    Poll => poll,
    DiscoverVersions => discover_versions,
    Log => log,
    SetAttribute => set_attribute,
    AdjustAttribute => adjust_attribute,
    Interop => interop,
    Ping => ping,
    CreateKeyPair => create_key_pair,
    ReKey => re_key,
    ReKeyKeyPair => re_key_key_pair,
    DeriveKey => derive_key,
    Certify => certify,
    ReCertify => re_certify,
    Validate => validate,
    Encrypt => encrypt,
    Decrypt => decrypt,
    Sign => sign,
    SignatureVerify => signature_verify,
    Mac(MAC) => mac,
    MacVerify(MACVerify) => mac_verify,
    RngRetrieve(RNGRetrieve) => rng_retrieve,
    RngSeed(RNGSeed) => rng_seed,
    Hash => hash,
    Import => import,
    Export => export,
    CreateSplitKey => create_split_key,
    JoinSplitKey => join_split_key,
    Pkcs11(PKCS_11) => pkcs11,
}

/// True for an object in archival storage (it has an Archive Date until it is recovered).
pub(crate) fn is_archived(object: &StoredObject) -> bool {
    find(object, |a| matches!(a, Attribute::ArchiveDate(_)).then_some(())).is_some()
}

/// Refuses a destroyed object.
pub(crate) fn not_destroyed(object: &StoredObject) -> OpResult<()> {
    match stored_state(object) {
        State::Destroyed | State::DestroyedCompromised => {
            Err(OpError::ObjectDestroyed(object.unique_identifier.clone()))
        }
        _ => Ok(()),
    }
}

/// The managed object itself, for operations that use it: not destroyed, not archived.
pub(crate) fn readable(object: &StoredObject) -> OpResult<&ManagedObject> {
    not_destroyed(object)?;
    if is_archived(object) {
        return Err(OpError::ObjectArchived(object.unique_identifier.clone()));
    }
    object.object.as_ref().ok_or_else(|| OpError::ObjectDestroyed(object.unique_identifier.clone()))
}
