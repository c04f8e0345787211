//! One automatic rotation, as one atomic commit.
//!
//! The object is read, found due, and replaced by the equivalent of a Re-key (a symmetric key), a
//! Re-key Key Pair (a private key and its public key) or a Re-certify (a certificate) performed by
//! the server (2.1 §4.48), with
//! the object's Rotate Offset or the policy's offset as the Offset (§4.54). The new objects are
//! inserted and the old ones updated in a single commit that names the revisions read: if anything
//! changed the old object in between (another rotation, a client's Re-key, a revocation), the
//! commit fails, the object is read again and judged again. Since the commit also marks the old
//! object replaced (Replacement Object Link, Rotate Latest False), an object rotates at most once
//! whatever the number of schedulers, retries or restarts; and a crash before the commit leaves
//! the object unchanged, and still due.

use keyward_kmip::attributes::{Attribute, RevocationReason};
use keyward_kmip::enums::Operation;
use keyward_kmip::enums::RevocationReasonCode;
use keyward_kmip::objects::ManagedObject;
use keyward_kmip::payloads::re_certify::ReCertifyRequest;
use keyward_kmip::payloads::re_key::ReKeyRequest;
use keyward_kmip::payloads::re_key_key_pair::ReKeyKeyPairRequest;
use keyward_kmip::{DateTime, UniqueIdentifierRef};
use keyward_store::{CommitTicket, StoreError, StoredObject};
use keyward_ttlv::KmipVersion;

use super::due::{Rule, Source, next_rotation};
use super::policy::RotationPolicy;
use crate::attributes::{find, set};
use crate::context::{BatchMemory, Context, Pending};
use crate::creation::linked;
use crate::error::{OpError, OpResult};
use crate::lifecycle::{self, effective_state};
use crate::streams::Streams;
use crate::{ClientIdentity, Services, replacement};

/// How often a rotation is tried again when a concurrent change to its objects won the race.
const COMMIT_ATTEMPTS: usize = 8;

/// A completed rotation: what was replaced by what.
#[derive(Debug)]
pub struct Rotation {
    /// What replaced the object: Re-key, Re-key Key Pair or Re-certify.
    pub operation: Operation,
    pub replaced: String,
    pub replacement: String,
    /// For a key pair: the public keys, replaced and new.
    pub public_keys: Option<(String, String)>,
    /// The replacement's Rotate Generation.
    pub generation: i32,
    pub source: Source,
    /// The owner of both.
    pub owner: String,
    pub rotated_at: i64,
}

/// What [`rotate`] did.
#[derive(Debug)]
pub enum Outcome {
    /// Rotated; the ticket completes once the commit is durable.
    Rotated(Box<Rotation>, CommitTicket),
    /// Not due (any more): not yet, already rotated, no longer rotatable, or gone.
    NotDue,
}

/// Rotates the object if it is due at `now`.
pub fn rotate(services: &Services, uid: &str, policies: &[RotationPolicy], now: i64) -> OpResult<Outcome> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let Some(existing) = services.store.get(uid)? else {
            return Ok(Outcome::NotDue);
        };
        let Some((rule, due)) = next_rotation(&existing, policies, now) else {
            return Ok(Outcome::NotDue);
        };
        if due > now {
            return Ok(Outcome::NotDue);
        }
        let (rotation, pending) = replace(services, &existing, &rule, now)?;
        match services.store.commit(pending.into_changes()) {
            Ok(ticket) => return Ok(Outcome::Rotated(Box::new(rotation), ticket)),
            Err(StoreError::Conflict(what)) if attempt < COMMIT_ATTEMPTS => {
                tracing::debug!(%uid, %what, attempt, "rotation raced a change; judging the object again");
            }
            Err(error) => return Err(OpError::Store(error)),
        }
    }
}

/// Runs the replacement in a batch of its own, as the owner, and returns what to commit.
fn replace(services: &Services, existing: &StoredObject, rule: &Rule, now: i64) -> OpResult<(Rotation, Pending)> {
    let owner = ClientIdentity::new(existing.owner.clone());
    let streams = Streams::default();
    let mut pending = Pending::default();
    let mut memory = BatchMemory::default();
    // A batch of the server's own: no streams, generator or deferrals of any client's.
    let generator = keyward_crypto::random::SeededGenerator::new();
    let asynchronous = crate::asynchronous::Asynchronous::default();
    let operation = match &existing.object {
        Some(ManagedObject::PrivateKey(_)) => Operation::ReKeyKeyPair,
        Some(ManagedObject::Certificate(_)) => Operation::ReCertify,
        _ => Operation::ReKey,
    };
    let mut cx = Context {
        services,
        client: &owner,
        operation,
        version: KmipVersion::LATEST,
        now,
        pending: &mut pending,
        memory: &mut memory,
        streams: &streams,
        pkcs11: None,
        generator: &generator,
        asynchronous: &asynchronous,
        ephemeral: false,
        policy_request: crate::operation_policy::PolicyRequest { operation: Some(operation), entity: None },
        // The scheduler records the rotation itself (old and new identifiers) once it is durable.
        involved: None,
    };
    // The object as judged due: the replacement reads it from the batch rather than the store
    // again, so that the commit names the revision that was judged.
    cx.update(existing.clone());
    let old_uid = existing.unique_identifier.clone();
    let reference = Some(UniqueIdentifierRef::Text(old_uid.clone()));
    let (new_uid, public_keys) = match &existing.object {
        Some(ManagedObject::PrivateKey(_)) => {
            let old_public = linked(existing, keyward_kmip::enums::LinkType::PublicKeyLink);
            let request = ReKeyKeyPairRequest {
                private_key_unique_identifier: reference,
                offset: rule.offset,
                common_attributes: None,
                private_key_attributes: None,
                public_key_attributes: None,
                common_protection_storage_masks: None,
                private_protection_storage_masks: None,
                public_protection_storage_masks: None,
            };
            let response = crate::ops::re_key_key_pair::run(&mut cx, &request)?;
            if !replacement::in_rotated_set(existing) {
                replacement::record_rotation(&mut cx, &old_uid, &response.private_key_unique_identifier)?;
                if let Some(old_public) = &old_public {
                    replacement::record_rotation(&mut cx, old_public, &response.public_key_unique_identifier)?;
                }
            }
            let public = old_public.map(|old| (old, response.public_key_unique_identifier));
            (response.private_key_unique_identifier, public)
        }
        Some(ManagedObject::Certificate(_)) => {
            let request = ReCertifyRequest {
                unique_identifier: reference,
                certificate_request_unique_identifier: None,
                certificate_request_type: None,
                certificate_request_value: None,
                offset: rule.offset,
                attributes: None,
                protection_storage_masks: None,
            };
            let response = crate::ops::re_certify::run(&mut cx, &request)?;
            if !replacement::in_rotated_set(existing) {
                replacement::record_rotation(&mut cx, &old_uid, &response.unique_identifier)?;
            }
            (response.unique_identifier, None)
        }
        _ => {
            let request = ReKeyRequest {
                unique_identifier: reference,
                offset: rule.offset,
                attributes: None,
                protection_storage_masks: None,
            };
            let response = crate::ops::re_key::run(&mut cx, &request)?;
            if !replacement::in_rotated_set(existing) {
                replacement::record_rotation(&mut cx, &old_uid, &response.unique_identifier)?;
            }
            (response.unique_identifier, None)
        }
    };
    settle_replaced(&mut cx, &old_uid, rule)?;
    if let Some((old_public, _)) = &public_keys {
        settle_replaced(&mut cx, old_public, rule)?;
    }
    let generation = cx
        .read(&new_uid)
        .ok()
        .and_then(|o| find(&o, |a| if let Attribute::RotateGeneration(g) = a { Some(*g) } else { None }))
        .unwrap_or(1);
    let rotation = Rotation {
        operation,
        replaced: old_uid,
        replacement: new_uid,
        public_keys,
        generation,
        source: rule.source.clone(),
        owner: existing.owner.clone(),
        rotated_at: now,
    };
    Ok((rotation, pending))
}

/// What the policy says becomes of the replaced key: a Deactivation Date at the end of the grace
/// period (an earlier one is kept), a Protect Stop Date of now, or revocation as Superseded.
fn settle_replaced(cx: &mut Context<'_>, uid: &str, rule: &Rule) -> OpResult<()> {
    let replaced = &rule.replaced;
    if replaced.grace.is_none() && !replaced.protect_stop && !replaced.revoke {
        return Ok(());
    }
    let mut object = cx.load(uid)?;
    if let Some(grace) = replaced.grace {
        let end = cx.now.saturating_add(i64::try_from(grace).unwrap_or(i64::MAX));
        let current = find(&object, |a| if let Attribute::DeactivationDate(d) = a { Some(d.seconds()) } else { None });
        if current.is_none_or(|d| d > end) {
            set(&mut object, Attribute::DeactivationDate(DateTime(end)));
        }
    }
    if replaced.protect_stop {
        set(&mut object, Attribute::ProtectStopDate(DateTime(cx.now)));
    }
    if replaced.revoke && effective_state(&object, cx.now) == keyward_kmip::enums::State::Active {
        let reason = RevocationReason {
            revocation_reason_code: RevocationReasonCode::Superseded,
            revocation_message: Some("replaced by automatic rotation".into()),
        };
        lifecycle::revoke(&mut object, reason, None, cx.now)?;
    }
    cx.update(object);
    Ok(())
}
