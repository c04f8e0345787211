//! Re-key Key Pair (2.1 §6.1.47, 1.4 §4.5): a new key pair of the same algorithm, size and curve
//! replaces an existing pair. Each new key takes over the names and most attributes of the key it
//! replaces (see `replacement`), the request's Common / Private / Public attributes on top; the
//! new keys are linked to each other and, both ways, to the keys they replace.

use keyward_kmip::attributes::Attribute;
use keyward_kmip::enums::{LinkType, ObjectType, UniqueIdentifier};
use keyward_kmip::objects::ManagedObject;
use keyward_kmip::payloads::re_key_key_pair::{ReKeyKeyPairRequest, ReKeyKeyPairResponse};
use keyward_store::StoredObject;

use crate::algorithm_policy::allow_new_key;
use crate::attributes;
use crate::context::Context;
use crate::creation::{add_link, check_names_apart, key_pair_attributes, linked, new_object};
use crate::crypto::keypair;
use crate::error::{OpError, OpResult};
use crate::replacement::{self, Dates};

pub(crate) fn run(cx: &mut Context<'_>, request: &ReKeyKeyPairRequest) -> OpResult<ReKeyKeyPairResponse> {
    let old_private = cx.load_ref(request.private_key_unique_identifier.as_ref())?;
    let private_key = replacement::replaced_key(&old_private)?;
    if !matches!(private_key, ManagedObject::PrivateKey(_)) {
        return Err(OpError::NotReKeyable(format!(
            "Re-key Key Pair replaces a pair named by its private key, not a {:?}",
            private_key.object_type()
        )));
    }
    let public_uid = linked(&old_private, LinkType::PublicKeyLink)
        .ok_or_else(|| OpError::MissingData("the private key has no Public Key Link to its pair".into()))?;
    let old_public = cx.load(&public_uid)?;
    let pair = keypair::same_kind_as(private_key)?;
    allow_new_key(cx, pair.kind())?;
    let (new_private_key, new_public_key) = keypair::generate(&pair)?;

    let common = request.common_attributes.as_ref();
    let private_requested = key_pair_attributes(cx, common, request.private_key_attributes.as_ref())?;
    let public_requested = key_pair_attributes(cx, common, request.public_key_attributes.as_ref())?;
    check_names_apart(&private_requested, &public_requested)?;
    let private_attributes = successor_attributes(&old_private, private_requested, request, cx.now)?;
    let public_attributes = successor_attributes(&old_public, public_requested, request, cx.now)?;

    replacement::release_names(cx, &old_private);
    replacement::release_names(cx, &old_public);
    let mut private = new_object(cx, Some(new_private_key), ObjectType::PrivateKey, private_attributes, true)?;
    // The replacement belongs to the replaced object's owner, whoever re-keys it (a grantee of
    // Re-key, a custodian, an administrator): the owner keeps its key.
    private.owner = old_private.owner.clone();
    crate::operation_policy::carry_creator(&old_private, &mut private);
    cx.insert(private.clone());
    let mut public = new_object(cx, Some(new_public_key), ObjectType::PublicKey, public_attributes, true)?;
    public.owner = old_public.owner.clone();
    crate::operation_policy::carry_creator(&old_public, &mut public);
    let private_uid = private.unique_identifier.clone();
    let new_public_uid = public.unique_identifier.clone();
    add_link(&mut private, LinkType::PublicKeyLink, &new_public_uid);
    add_link(&mut private, LinkType::ReplacedObjectLink, &old_private.unique_identifier);
    add_link(&mut public, LinkType::PrivateKeyLink, &private_uid);
    add_link(&mut public, LinkType::ReplacedObjectLink, &old_public.unique_identifier);
    // Still pending: this only adds the links to what the batch will insert.
    cx.update(private);
    cx.insert(public);
    replacement::link_to_replacement(cx, &old_private.unique_identifier, &private_uid)?;
    replacement::link_to_replacement(cx, &old_public.unique_identifier, &new_public_uid)?;
    if replacement::in_rotated_set(&old_private) {
        replacement::record_rotation(cx, &old_private.unique_identifier, &private_uid)?;
        replacement::record_rotation(cx, &old_public.unique_identifier, &new_public_uid)?;
    }

    cx.set_placeholder(Some(private_uid.clone()));
    cx.record_result(UniqueIdentifier::ReKeyKeyPair, &private_uid);
    cx.record_result(UniqueIdentifier::ReKeyKeyPairPrivateKey, &private_uid);
    cx.record_result(UniqueIdentifier::ReKeyKeyPairPublicKey, &new_public_uid);
    cx.record_returned([&private_uid, &new_public_uid]);
    Ok(ReKeyKeyPairResponse {
        private_key_unique_identifier: private_uid,
        public_key_unique_identifier: new_public_uid,
        private_key_attributes: None,
        public_key_attributes: None,
    })
}

fn successor_attributes(
    existing: &StoredObject,
    requested: Vec<Attribute>,
    request: &ReKeyKeyPairRequest,
    now: i64,
) -> OpResult<Vec<Attribute>> {
    replacement::check_offset(request.offset, &requested, Dates::ActivationAndDeactivation)?;
    let inherited = replacement::inherited(existing, request.offset, Dates::ActivationAndDeactivation, now)?;
    Ok(attributes::overlay(inherited, requested))
}
