//! The server's own issuing CA: what signs a Certify or Re-certify request that names no CA with
//! a Parent Link. 1.4 §4.7 (2.1 §6.1.6) and §4.8 (§6.1.45) leave the choice of CA to the server
//! in that case; which CA it is, is the configuration's ([`IssuingCa`]).
//!
//! A managed CA is three objects of the store, with fixed identifiers so that two requests cannot
//! each create one (the second insert conflicts and its batch fails): an EC P-256 private key
//! (Certificate Sign, Active, Sensitive, not Extractable), its public key and a self-signed CA
//! certificate, linked to one
//! another as KMIP links a key pair and its certificate. They are created by the first request
//! that needs them and belong to no client (the empty owner, which no client identity can be:
//! the transport refuses an empty name); administrators see them, clients do not. A certificate
//! it issues carries a Parent Link to its certificate, which Re-certify follows.

use keyward_crypto::certificates::{DistinguishedName, NameAttribute, self_signed_ca};
use keyward_kmip::attributes::Attribute;
use keyward_kmip::enums::{CertificateType, CryptographicAlgorithm, LinkType, ObjectType, RecommendedCurve};
use keyward_kmip::masks::CryptographicUsageMask;
use keyward_kmip::objects::{Certificate, ManagedObject};
use keyward_kmip::{Bytes, DateTime};
use keyward_store::StoredObject;

use super::failure;
use super::issuing::Authority;
use super::keypair::{self, PairRequest};
use super::material::private_key_pkcs8;
use crate::attributes;
use crate::context::Context;
use crate::creation::{add_link, new_object};
use crate::error::{OpError, OpResult};
use crate::ops::readable;
use crate::ops::register::{add_derived, derived_attributes};
use crate::policy::IssuingCa;

/// The managed CA's certificate.
pub const CERTIFICATE_UID: &str = "keyward-issuing-ca-certificate";
/// The managed CA's private key.
pub const PRIVATE_KEY_UID: &str = "keyward-issuing-ca-private-key";
/// The managed CA's public key.
pub const PUBLIC_KEY_UID: &str = "keyward-issuing-ca-public-key";
/// The owner of the managed CA's objects: no client.
const OWNER: &str = "";
/// The managed CA's subject common name.
const COMMON_NAME: &str = "Keyward issuing CA";
/// Ten years: the CA outlives the certificates it issues (a year by default).
const VALIDITY: i64 = 10 * 365 * 24 * 3600;

/// The server's CA, and the identifier of its certificate when it is a managed object (for the
/// issued certificate's Parent Link).
pub fn server_authority(cx: &mut Context<'_>) -> OpResult<(Authority, Option<String>)> {
    match &cx.services.policy.issuing_ca {
        IssuingCa::None => Err(OpError::MissingData(
            "name the issuing CA with a Link of type Parent Link: this server has no issuing CA of its own".into(),
        )),
        IssuingCa::Configured { certificate, private_key } => {
            Ok((Authority::checked(certificate.clone(), private_key.clone())?, None))
        }
        IssuingCa::Managed => Ok((managed(cx)?, Some(CERTIFICATE_UID.to_string()))),
    }
}

/// True when `uid` names the managed CA, which Certify and Re-certify reach whoever asks.
pub fn is_managed_ca(cx: &Context<'_>, uid: &str) -> bool {
    matches!(cx.services.policy.issuing_ca, IssuingCa::Managed) && (uid == CERTIFICATE_UID || uid == PRIVATE_KEY_UID)
}

/// The managed CA, created if there is none yet.
fn managed(cx: &mut Context<'_>) -> OpResult<Authority> {
    match (cx.read_as_server(CERTIFICATE_UID)?, cx.read_as_server(PRIVATE_KEY_UID)?) {
        (Some(certificate), Some(private_key)) => {
            crate::usage::check(&private_key, super::issuing::CERTIFICATE_SIGN, cx.now)?;
            let ManagedObject::Certificate(c) = readable(&certificate)? else {
                return Err(OpError::GeneralFailure(format!("{CERTIFICATE_UID} is not a certificate")));
            };
            Authority::checked(c.certificate_value.as_slice().to_vec(), private_key_pkcs8(readable(&private_key)?)?)
        }
        (None, None) => create(cx),
        _ => Err(OpError::GeneralFailure(
            "the server's issuing CA is incomplete (its certificate or its private key is missing)".into(),
        )),
    }
}

/// Creates the managed CA's objects in the batch and returns the CA.
fn create(cx: &mut Context<'_>) -> OpResult<Authority> {
    let pair = PairRequest {
        spec: keyward_crypto::asymmetric::KeyPairSpec::Ec(keyward_crypto::asymmetric::Curve::P256),
        algorithm: CryptographicAlgorithm::ECDSA,
        length: 256,
        curve: Some(RecommendedCurve::P_256),
    };
    let (private_key, public_key) = keypair::generate(&pair)?;
    let pkcs8 = private_key_pkcs8(&private_key)?;
    let subject = DistinguishedName::from_attributes(&[(NameAttribute::CommonName, COMMON_NAME)]).map_err(failure)?;
    // From a minute ago, so that a client whose clock lags a little still finds it valid.
    let not_before = cx.now.saturating_sub(60);
    let der = self_signed_ca(&subject, &pkcs8, not_before, not_before.saturating_add(VALIDITY)).map_err(failure)?;

    let activation = Attribute::ActivationDate(DateTime(cx.now));
    let private_mask = CryptographicUsageMask::CertificateSign | CryptographicUsageMask::Sign;
    let public_mask = CryptographicUsageMask::Verify;
    let mut private = new_object(
        cx,
        Some(private_key),
        ObjectType::PrivateKey,
        // The CA's key signs inside the server and never leaves it, not even to an administrator.
        vec![
            Attribute::CryptographicUsageMask(private_mask),
            activation.clone(),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
        ],
        true,
    )?;
    let mut public = new_object(
        cx,
        Some(public_key),
        ObjectType::PublicKey,
        vec![Attribute::CryptographicUsageMask(public_mask), activation],
        true,
    )?;
    let certificate = ManagedObject::Certificate(Certificate {
        certificate_type: CertificateType::X_509,
        certificate_value: Bytes::new(der.clone()),
    });
    let derived = derived_attributes(&certificate, cx.version)?;
    let mut stored_certificate = new_object(cx, Some(certificate), ObjectType::Certificate, Vec::new(), true)?;
    add_derived(&mut stored_certificate, derived);
    for (object, uid) in
        [(&mut private, PRIVATE_KEY_UID), (&mut public, PUBLIC_KEY_UID), (&mut stored_certificate, CERTIFICATE_UID)]
    {
        as_server(object, uid);
    }
    add_link(&mut private, LinkType::PublicKeyLink, PUBLIC_KEY_UID);
    add_link(&mut private, LinkType::CertificateLink, CERTIFICATE_UID);
    add_link(&mut public, LinkType::PrivateKeyLink, PRIVATE_KEY_UID);
    add_link(&mut public, LinkType::CertificateLink, CERTIFICATE_UID);
    add_link(&mut stored_certificate, LinkType::PublicKeyLink, PUBLIC_KEY_UID);
    add_link(&mut stored_certificate, LinkType::PrivateKeyLink, PRIVATE_KEY_UID);
    cx.insert(private);
    cx.insert(public);
    cx.insert(stored_certificate);
    tracing::info!(certificate = CERTIFICATE_UID, "created the server's issuing CA");
    Authority::checked(der, pkcs8)
}

/// Gives a new object its fixed identifier and takes it away from the client that asked.
fn as_server(object: &mut StoredObject, uid: &str) {
    object.unique_identifier = uid.to_string();
    object.owner = OWNER.to_string();
    attributes::set(object, Attribute::UniqueIdentifier(uid.to_string()));
}
