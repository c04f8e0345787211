//! Re-certify (2.1 §6.1.45, 1.4 §4.8): a new certificate for the key of an existing one, from a
//! new certificate request or from the existing certificate's own key and subject, signed by the
//! CA the request names (Parent Link), else by the existing certificate's, else by the server's
//! own issuing CA (`crypto::issuing_ca`). The new certificate
//! takes over the names and most attributes of the existing one (see `replacement`), is linked
//! to it both ways, and the public key's Certificate Link moves to it.

use keyward_crypto::certificates::SubjectKey;
use keyward_kmip::attributes::Attribute;
use keyward_kmip::enums::{CertificateType, LinkType, ObjectType, UniqueIdentifier};
use keyward_kmip::objects::{Certificate, ManagedObject};
use keyward_kmip::payloads::re_certify::{ReCertifyRequest, ReCertifyResponse};
use keyward_kmip::{Bytes, UniqueIdentifierRef};

use super::register::{add_derived, derived_attributes};
use crate::attributes;
use crate::context::Context;
use crate::creation::{add_link, expand_templates, linked, new_object};
use crate::crypto::certificate_attributes;
use crate::crypto::{issuing, issuing_ca};
use crate::error::{OpError, OpResult};
use crate::ops::readable;
use crate::replacement::{self, Dates};

pub(crate) fn run(cx: &mut Context<'_>, request: &ReCertifyRequest) -> OpResult<ReCertifyResponse> {
    let existing = cx.load_ref(request.unique_identifier.as_ref())?;
    let ManagedObject::Certificate(old) = readable(&existing)? else {
        return Err(OpError::IllegalOperation("Re-certify renews certificates".into()));
    };
    let info = certificate_attributes::read(old)?;
    let requested = match &request.attributes {
        Some(attributes) => expand_templates(cx, attributes)?,
        None => Vec::new(),
    };
    let (requested, description) = issuing::take_description(requested);
    let (authority, parent) =
        match issuing::parent_named(&requested).or_else(|| linked(&existing, LinkType::ParentLink)) {
            Some(parent) => (issuing::authority(cx, &parent)?, Some(parent)),
            None => issuing_ca::server_authority(cx)?,
        };

    replacement::check_offset(request.offset, &requested, Dates::ActivationAndDeactivation)?;
    let mut attributes = attributes::overlay(
        replacement::inherited(&existing, request.offset, Dates::ActivationAndDeactivation, cx.now)?,
        requested,
    );
    // The new certificate is for the same key, from the same CA, as the links say.
    let public_uid = linked(&existing, LinkType::PublicKeyLink);
    if let Some(parent) = parent.filter(|_| issuing::parent_named(&attributes).is_none()) {
        attributes.push(issuing::parent_link(&parent));
    }
    // A renewal lasts as long as the certificate it renews, unless the dates say otherwise.
    let validity = issuing::validity(&attributes, cx.now, info.not_after.saturating_sub(info.not_before));
    let csr = match (&request.certificate_request_value, &request.certificate_request_unique_identifier) {
        (Some(value), _) => Some(issuing::request_der(request.certificate_request_type, value.as_slice())?),
        (None, Some(uid)) => Some(managed_request(cx, uid)?),
        (None, None) => None,
    };
    let der = match &csr {
        Some(csr) => issuing::issue(&authority, SubjectKey::Csr(csr), None, validity)?,
        None => {
            let subject = issuing::subject_from(&description)?.unwrap_or_else(|| info.subject.clone());
            issuing::issue(&authority, SubjectKey::PublicKey(&info.spki_der), Some(subject), validity)?
        }
    };
    let certificate = ManagedObject::Certificate(Certificate {
        certificate_type: CertificateType::X_509,
        certificate_value: Bytes::new(der),
    });
    let derived = derived_attributes(&certificate, cx.version)?;

    replacement::release_names(cx, &existing);
    let mut renewed = new_object(cx, Some(certificate), ObjectType::Certificate, attributes, true)?;
    // The replacement belongs to the replaced object's owner, whoever re-keys it (a grantee of
    // Re-key, a custodian, an administrator): the owner keeps its key.
    renewed.owner = existing.owner.clone();
    crate::operation_policy::carry_creator(&existing, &mut renewed);
    add_derived(&mut renewed, derived);
    add_link(&mut renewed, LinkType::ReplacedObjectLink, &existing.unique_identifier);
    if let Some(public_uid) = &public_uid {
        add_link(&mut renewed, LinkType::PublicKeyLink, public_uid);
    }
    let uid = renewed.unique_identifier.clone();
    cx.insert(renewed);
    replacement::link_to_replacement(cx, &existing.unique_identifier, &uid)?;
    if let Some(public_uid) = public_uid {
        move_certificate_link(cx, &public_uid, &existing.unique_identifier, &uid)?;
    }
    cx.set_placeholder(Some(uid.clone()));
    cx.record_result(UniqueIdentifier::ReCertify, &uid);
    cx.record_returned([&uid]);
    Ok(ReCertifyResponse { unique_identifier: uid, attributes: None })
}

/// The DER of a managed Certificate Request object (2.x).
fn managed_request(cx: &Context<'_>, uid: &str) -> OpResult<Vec<u8>> {
    let stored = cx.load(uid)?;
    match readable(&stored)? {
        ManagedObject::CertificateRequest(csr) => {
            issuing::request_der(Some(csr.certificate_request_type), csr.certificate_request_value.as_slice())
        }
        other => Err(OpError::InvalidField(format!(
            "object {uid} is a {:?}, not a certificate request",
            other.object_type()
        ))),
    }
}

/// The public key's Certificate Link to the old certificate now points at the new one (2.1
/// §6.1.45).
fn move_certificate_link(cx: &mut Context<'_>, public_uid: &str, old: &str, new: &str) -> OpResult<()> {
    let mut public = cx.load(public_uid)?;
    public.attributes.retain(|a| {
        !matches!(&a.attribute, Attribute::Link(link)
            if link.link_type == LinkType::CertificateLink
                && link.linked_object_identifier == UniqueIdentifierRef::Text(old.to_string()))
    });
    add_link(&mut public, LinkType::CertificateLink, new);
    cx.update(public);
    Ok(())
}
