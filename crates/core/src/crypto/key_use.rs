//! The key of a cryptographic operation (Encrypt, Decrypt, Sign, Signature Verify, MAC, MAC
//! Verify): found by its Unique Identifier or the ID Placeholder, checked for the use (not
//! destroyed or archived; state, usage mask and dates, see [`crate::usage`]), with the
//! Cryptographic Parameters the operation uses, and charged to its Usage Limits.

use std::sync::Arc;

use keyward_crypto::mac::MacAlgorithm;
use keyward_kmip::UniqueIdentifierRef;
use keyward_kmip::attributes::{Attribute, CryptographicParameters};
use keyward_kmip::enums::{ObjectType, UsageLimitsUnit};
use keyward_kmip::objects::ManagedObject;
use keyward_store::StoredObject;
use zeroize::Zeroizing;

use super::mapping;
use super::material::symmetric_key;
use super::parameters::effective;
use crate::attributes::{find, set};
use crate::context::Context;
use crate::error::{OpError, OpResult};
use crate::ops::readable;
use crate::usage::{self, Purpose, Use};

/// A key that may be used as asked.
pub struct KeyInUse {
    /// Shared with the store's cache; [`allocate`] takes its own copy to change it.
    pub stored: Arc<StoredObject>,
    /// The request's parameters, or the key's (with the key's algorithm when they name none).
    pub parameters: CryptographicParameters,
}

impl KeyInUse {
    /// Finds the key the request names (absent: the ID Placeholder) and checks it for `wanted`.
    pub fn load(
        cx: &Context<'_>,
        reference: Option<&UniqueIdentifierRef>,
        given: Option<&CryptographicParameters>,
        wanted: Use,
    ) -> OpResult<KeyInUse> {
        let stored = cx.read_ref(reference)?;
        let object = readable(&stored)?;
        // A key registered without its value (1.2 §3.41) cannot be used here: Key Value Not
        // Present (1.4 Tables 353 to 358; 2.1 lists it for every cryptographic operation).
        if object.key_block().is_some_and(|b| b.key_value.is_none()) {
            return Err(OpError::KeyValueNotPresent(stored.unique_identifier.clone()));
        }
        usage::check(&stored, wanted, cx.now)?;
        let parameters = effective(given, &stored);
        // SP 800-131A's "legacy use": a key the policy retired may still decrypt and verify.
        if wanted.purpose == Purpose::Protect {
            crate::algorithm_policy::allow_protection(cx, &stored, &parameters)?;
        }
        Ok(KeyInUse { stored, parameters })
    }

    pub fn uid(&self) -> &str {
        &self.stored.unique_identifier
    }

    /// The managed object (present: [`KeyInUse::load`] checked that it was not destroyed).
    pub fn object(&self) -> OpResult<&ManagedObject> {
        readable(&self.stored)
    }

    /// The MAC algorithm and the secret of a key used for MACs: a Symmetric Key, or Secret Data
    /// holding a MAC secret.
    pub fn mac_key(&self) -> OpResult<(MacAlgorithm, Zeroizing<Vec<u8>>)> {
        let object = self.object()?;
        match object.object_type() {
            ObjectType::SymmetricKey | ObjectType::SecretData => {
                Ok((mapping::mac_algorithm(&self.parameters)?, symmetric_key(object)?))
            }
            other => Err(OpError::IllegalOperation(format!("a {other:?} does not compute MACs"))),
        }
    }
}

/// How much of a key's Usage Limits an operation uses.
#[derive(Clone, Copy, Debug)]
pub struct Usage {
    /// Bytes protected by this request.
    pub bytes: usize,
    /// Whether this request starts a protection (a single-part operation or a first part): the
    /// unit of Usage Limits Unit Object.
    pub starts: bool,
}

/// Takes an allocation for `usage` from the key's Usage Limits, when it has them, before the key
/// applies protection (2.1 §6.1.17 Encrypt, §6.1.55 Sign, §6.1.32 MAC: "the server SHALL obtain
/// an allocation from the current Usage Limits value prior to performing the ... operation. If
/// the allocation is unable to be obtained the operation SHALL return with ... Permission
/// Denied"). Processing protected data (decrypting, verifying) is not limited. The new count is
/// committed with the batch.
pub fn allocate(cx: &mut Context<'_>, key: &mut KeyInUse, wanted: Use, usage: Usage) -> OpResult<()> {
    if wanted.purpose != Purpose::Protect {
        return Ok(());
    }
    let Some(mut limits) =
        find(&key.stored, |a| if let Attribute::UsageLimits(l) = a { Some(l.clone()) } else { None })
    else {
        return Ok(());
    };
    let asked = match limits.usage_limits_unit {
        UsageLimitsUnit::Byte => i64::try_from(usage.bytes).unwrap_or(i64::MAX),
        UsageLimitsUnit::Object => i64::from(usage.starts),
        other => return Err(OpError::PermissionDenied(format!("Usage Limits counted in {other:?}"))),
    };
    let remaining = limits.usage_limits_count.unwrap_or(limits.usage_limits_total);
    if asked > remaining {
        return Err(OpError::PermissionDenied(format!(
            "the key's Usage Limits allow {remaining} more {:?}, {asked} asked",
            limits.usage_limits_unit
        )));
    }
    if asked > 0 {
        limits.usage_limits_count = Some(remaining - asked);
        set(Arc::make_mut(&mut key.stored), Attribute::UsageLimits(limits));
        cx.update(StoredObject::clone(&key.stored));
    }
    Ok(())
}
