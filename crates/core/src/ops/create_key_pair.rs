//! Create Key Pair (2.1 §6.1.9, 1.4 §4.2): the server generates an RSA, EC or Ed25519 key pair and
//! registers its two halves, each with its own attributes and a Link to the other.

use keyward_kmip::attributes::Attribute;
use keyward_kmip::enums::{LinkType, ObjectType, UniqueIdentifier};
use keyward_kmip::payloads::create_key_pair::{CreateKeyPairRequest, CreateKeyPairResponse};

use crate::algorithm_policy::allow_new_key;
use crate::context::Context;
use crate::creation::{add_link, check_names_apart, key_pair_attributes, new_object};
use crate::crypto::keypair::{self, PairRequest};
use crate::error::{OpError, OpResult};

pub(crate) fn run(cx: &mut Context<'_>, request: &CreateKeyPairRequest) -> OpResult<CreateKeyPairResponse> {
    let common = request.common_attributes.as_ref();
    let mut private_attributes = key_pair_attributes(cx, common, request.private_key_attributes.as_ref())?;
    let mut public_attributes = key_pair_attributes(cx, common, request.public_key_attributes.as_ref())?;
    check_names_apart(&private_attributes, &public_attributes)?;
    let pair = keypair::requested_pair(&private_attributes)?;
    if keypair::requested_pair(&public_attributes)? != pair {
        return Err(OpError::InvalidField(
            "the private and public keys must have the same algorithm, length and domain parameters".into(),
        ));
    }
    allow_new_key(cx, pair.kind())?;
    complete(&mut private_attributes, &mut public_attributes, &pair);
    let (private_key, public_key) = keypair::generate(&pair)?;

    let mut private = new_object(cx, Some(private_key), ObjectType::PrivateKey, private_attributes, true)?;
    // The private key is recorded before the public key is built, so that the public key's Name is
    // checked against it too.
    cx.insert(private.clone());
    let mut public = new_object(cx, Some(public_key), ObjectType::PublicKey, public_attributes, true)?;
    let private_uid = private.unique_identifier.clone();
    let public_uid = public.unique_identifier.clone();
    add_link(&mut private, LinkType::PublicKeyLink, &public_uid);
    add_link(&mut public, LinkType::PrivateKeyLink, &private_uid);
    // Still pending: this only adds the link to what the batch will insert.
    cx.update(private);
    cx.insert(public);

    cx.set_placeholder(Some(private_uid.clone()));
    cx.record_result(UniqueIdentifier::CreateKeyPair, &private_uid);
    cx.record_result(UniqueIdentifier::CreateKeyPairPrivateKey, &private_uid);
    cx.record_result(UniqueIdentifier::CreateKeyPairPublicKey, &public_uid);
    cx.record_returned([&private_uid, &public_uid]);
    Ok(CreateKeyPairResponse {
        private_key_unique_identifier: private_uid,
        public_key_unique_identifier: public_uid,
        private_key_attributes: None,
        public_key_attributes: None,
    })
}

/// Gives both keys what the client left out: a usage mask each, and the curve of an EC pair asked
/// for by length only.
fn complete(private: &mut Vec<Attribute>, public: &mut Vec<Attribute>, pair: &PairRequest) {
    let (private_mask, public_mask) = keypair::default_masks(pair.algorithm);
    for (attributes, mask) in [(&mut *private, private_mask), (&mut *public, public_mask)] {
        if !attributes.iter().any(|a| matches!(a, Attribute::CryptographicUsageMask(_))) {
            attributes.push(Attribute::CryptographicUsageMask(mask));
        }
        let has_domain = attributes.iter().any(|a| matches!(a, Attribute::CryptographicDomainParameters(_)));
        if let (false, Some(domain)) = (has_domain, keypair::domain_parameters(pair)) {
            attributes.push(domain);
        }
    }
}
