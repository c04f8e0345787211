//! Certify (2.1 §6.1.6, 1.4 §4.7): an X.509 certificate for a managed public key or for a PKCS#10
//! request (given in the request or, in 2.x, as a managed Certificate Request), signed by a CA the
//! server manages and the request names with a Parent Link (see `crypto::issuing`), or, when it
//! names none, by the server's own issuing CA (`crypto::issuing_ca`; the server's choice, 1.4
//! §4.7). The public key and the certificate are linked both ways.

use keyward_crypto::certificates::SubjectKey;
use keyward_kmip::Bytes;
use keyward_kmip::attributes::Attribute;
use keyward_kmip::enums::{CertificateType, LinkType, ObjectType, UniqueIdentifier};
use keyward_kmip::objects::{Certificate, ManagedObject};
use keyward_kmip::payloads::certify::{CertifyRequest, CertifyResponse};

use super::register::{add_derived, derived_attributes};
use crate::context::Context;
use crate::creation::{add_link, expand_templates, new_object};
use crate::crypto::issuing::{self, DEFAULT_VALIDITY};
use crate::crypto::issuing_ca;
use crate::crypto::material::public_key_spki;
use crate::error::{OpError, OpResult};
use crate::ops::readable;

/// What the certificate is for: the request's DER, or a public key's SubjectPublicKeyInfo and the
/// public key's identifier.
enum Subject {
    Request(Vec<u8>),
    PublicKey { spki: Vec<u8>, uid: String },
}

pub(crate) fn run(cx: &mut Context<'_>, request: &CertifyRequest) -> OpResult<CertifyResponse> {
    let requested = match &request.attributes {
        Some(attributes) => expand_templates(cx, attributes)?,
        None => Vec::new(),
    };
    let (attributes, description) = issuing::take_description(requested);
    if description.iter().any(|a| matches!(a, Attribute::CertificateType(t) if *t != CertificateType::X_509)) {
        return Err(OpError::FeatureNotSupported("only X.509 certificates are issued".into()));
    }
    let mut attributes = attributes;
    let authority = match issuing::parent_named(&attributes) {
        Some(parent) => issuing::authority(cx, &parent)?,
        None => {
            let (authority, ca_uid) = issuing_ca::server_authority(cx)?;
            // The issued certificate's parent is the CA that signed it (1.4 §3.35 Parent Link), so
            // that Re-certify finds the same CA.
            if let Some(ca_uid) = ca_uid {
                attributes.push(issuing::parent_link(&ca_uid));
            }
            authority
        }
    };
    let subject = subject_of(cx, request)?;
    let validity = issuing::validity(&attributes, cx.now, DEFAULT_VALIDITY);
    let der = match &subject {
        // The request's own subject takes precedence over the attributes (2.1 §6.1.6).
        Subject::Request(csr) => issuing::issue(&authority, SubjectKey::Csr(csr), None, validity)?,
        Subject::PublicKey { spki, .. } => {
            issuing::issue(&authority, SubjectKey::PublicKey(spki), issuing::subject_from(&description)?, validity)?
        }
    };
    let certificate = ManagedObject::Certificate(Certificate {
        certificate_type: CertificateType::X_509,
        certificate_value: Bytes::new(der),
    });
    let derived = derived_attributes(&certificate, cx.version)?;
    let mut stored = new_object(cx, Some(certificate), ObjectType::Certificate, attributes, true)?;
    add_derived(&mut stored, derived);
    let uid = stored.unique_identifier.clone();
    if let Subject::PublicKey { uid: public_uid, .. } = &subject {
        add_link(&mut stored, LinkType::PublicKeyLink, public_uid);
        cx.insert(stored);
        let mut public = cx.load(public_uid)?;
        add_link(&mut public, LinkType::CertificateLink, &uid);
        cx.update(public);
    } else {
        cx.insert(stored);
    }
    cx.set_placeholder(Some(uid.clone()));
    cx.record_result(UniqueIdentifier::Certify, &uid);
    cx.record_returned([&uid]);
    Ok(CertifyResponse { unique_identifier: uid, attributes: None })
}

/// The certificate request in the payload, else the object the request names: a public key or a
/// (2.x) Certificate Request object.
fn subject_of(cx: &Context<'_>, request: &CertifyRequest) -> OpResult<Subject> {
    if let Some(value) = &request.certificate_request_value {
        return Ok(Subject::Request(issuing::request_der(request.certificate_request_type, value.as_slice())?));
    }
    let stored = cx.load_ref(request.unique_identifier.as_ref())?;
    match readable(&stored)? {
        ManagedObject::CertificateRequest(csr) => Ok(Subject::Request(issuing::request_der(
            Some(csr.certificate_request_type),
            csr.certificate_request_value.as_slice(),
        )?)),
        public @ ManagedObject::PublicKey(_) => {
            Ok(Subject::PublicKey { spki: public_key_spki(public)?, uid: stored.unique_identifier.clone() })
        }
        other => {
            Err(OpError::IllegalOperation(format!("Certify certifies public keys, not a {:?}", other.object_type())))
        }
    }
}
