//! Certificates the server issues (Certify, Re-certify): the CA that signs, the subject and the
//! validity of the certificate.
//!
//! The CA is named by the client, with a Link of Link Type Parent Link among the request's
//! attributes (the parent of a certificate is its issuer): to the CA's certificate, or to the
//! CA's private key. The other half is found through the links KMIP defines: a certificate's
//! Private Key Link, or its Public Key Link and that key's Private Key Link; a private key's
//! Certificate Link, or its Public Key Link and that key's Certificate Link. The certificate
//! must be a CA certificate (basicConstraints cA) and the private key must allow Certificate Sign
//! and be Active. Re-certify uses the CA of the certificate it renews unless the request names
//! another. The Parent Link stays on the issued certificate.
//!
//! The subject is the certificate request's; with a bare public key, the X.509 Certificate
//! Subject or the Certificate Subject CN, O, OU... attributes of the request. The validity runs
//! from the request's Activation Date (else now) to its Deactivation Date (else a year later).

use keyward_crypto::CryptoError;
use keyward_crypto::certificates::{
    self, CertificateRequest, DistinguishedName, Issuer, NameAttribute, SubjectKey, describe_certificate,
};
use keyward_kmip::attributes::Attribute;
use keyward_kmip::enums::{CertificateRequestType, LinkType, ObjectType};
use keyward_kmip::masks::CryptographicUsageMask;
use keyward_store::StoredObject;
use rustls_pki_types::CertificateSigningRequestDer;
use rustls_pki_types::pem::PemObject;
use zeroize::Zeroizing;

use super::certificate_attributes::subject_part;
use super::failure;
use super::material::private_key_pkcs8;
use crate::access::Right;
use crate::context::Context;
use crate::creation::linked;
use crate::error::{OpError, OpResult};
use crate::ops::readable;
use crate::usage::{self, Purpose, Use};

/// A year, the validity of a certificate whose request gives no Deactivation Date.
pub const DEFAULT_VALIDITY: i64 = 365 * 24 * 3600;

/// Signing certificates: the Certificate Sign bit, applying protection.
pub(crate) const CERTIFICATE_SIGN: Use =
    Use { mask: CryptographicUsageMask::CertificateSign, purpose: Purpose::Protect };

/// A CA the server manages.
pub struct Authority {
    certificate: Vec<u8>,
    private_key: Zeroizing<Vec<u8>>,
}

impl Authority {
    /// A CA from its certificate (DER or PEM) and PKCS#8 private key, which must be a CA
    /// certificate (basicConstraints cA); that the key matches is checked when it signs.
    pub fn checked(certificate: Vec<u8>, private_key: Zeroizing<Vec<u8>>) -> OpResult<Authority> {
        let info = describe_certificate(&certificate).map_err(failure)?;
        if !info.is_ca {
            return Err(OpError::InvalidField("the issuing CA's certificate is not a CA certificate".into()));
        }
        Ok(Authority { certificate, private_key })
    }
}

/// The identifier a Parent Link among `attributes` points at.
pub fn parent_named(attributes: &[Attribute]) -> Option<String> {
    attributes.iter().find_map(|a| match a {
        Attribute::Link(link) if link.link_type == LinkType::ParentLink => match &link.linked_object_identifier {
            keyward_kmip::UniqueIdentifierRef::Text(uid) => Some(uid.clone()),
            _ => None,
        },
        _ => None,
    })
}

/// A Link of type Parent Link to `uid`: the CA that issued a certificate.
pub fn parent_link(uid: &str) -> Attribute {
    Attribute::Link(keyward_kmip::attributes::Link {
        link_type: LinkType::ParentLink,
        linked_object_identifier: keyward_kmip::UniqueIdentifierRef::Text(uid.to_string()),
    })
}

/// The CA whose certificate or private key `uid` names.
pub fn authority(cx: &mut Context<'_>, uid: &str) -> OpResult<Authority> {
    if super::issuing_ca::is_managed_ca(cx, uid) {
        return super::issuing_ca::server_authority(cx).map(|(authority, _)| authority);
    }
    // The issuer is another object than the one certified: the caller needs Certify on it (and
    // on the other half of the CA) itself (docs/security/access-control.md).
    let named = cx.load_for(uid, Right::Certify)?;
    let (certificate, private_key) = match readable(&named)?.object_type() {
        ObjectType::Certificate => {
            let key_uid = follow(cx, &named, LinkType::PrivateKeyLink)?;
            (named, cx.load_for(&key_uid, Right::Certify)?)
        }
        ObjectType::PrivateKey => {
            let certificate_uid = follow(cx, &named, LinkType::CertificateLink)?;
            (cx.load_for(&certificate_uid, Right::Certify)?, named)
        }
        other => return Err(OpError::InvalidField(format!("the Parent Link names a {other:?}, not a CA"))),
    };
    let certificate_der = match readable(&certificate)? {
        keyward_kmip::objects::ManagedObject::Certificate(c) => c.certificate_value.as_slice().to_vec(),
        _ => return Err(OpError::InvalidField("the CA's certificate is not a certificate".into())),
    };
    let info = describe_certificate(&certificate_der).map_err(failure)?;
    if !info.is_ca {
        return Err(OpError::InvalidField(format!(
            "certificate {} is not a CA certificate",
            certificate.unique_identifier
        )));
    }
    usage::check(&private_key, CERTIFICATE_SIGN, cx.now)?;
    let pkcs8 = private_key_pkcs8(readable(&private_key)?)?;
    Ok(Authority { certificate: certificate_der, private_key: pkcs8 })
}

/// The object linked to `from` by `link`, or linked by `link` to its public key.
fn follow(cx: &Context<'_>, from: &StoredObject, link: LinkType) -> OpResult<String> {
    if let Some(uid) = linked(from, link) {
        return Ok(uid);
    }
    let public = linked(from, LinkType::PublicKeyLink).map(|uid| cx.load_for(&uid, Right::Certify)).transpose()?;
    public.and_then(|p| linked(&p, link)).ok_or_else(|| {
        OpError::MissingData(format!(
            "object {} has no {link:?} to the other half of the CA, directly or through its public key",
            from.unique_identifier
        ))
    })
}

/// The DER of a certificate request of the given type (PKCS#10 in DER, or in PEM).
pub fn request_der(request_type: Option<CertificateRequestType>, value: &[u8]) -> OpResult<Vec<u8>> {
    match request_type.unwrap_or(CertificateRequestType::PKCS_10) {
        CertificateRequestType::PKCS_10 => Ok(value.to_vec()),
        CertificateRequestType::PEM => CertificateSigningRequestDer::from_pem_slice(value)
            .map(|der| der.as_ref().to_vec())
            .map_err(|e| OpError::InvalidCsr(format!("not a PEM certificate request: {e}"))),
        other => Err(OpError::FeatureNotSupported(format!("certificate requests of type {other:?}"))),
    }
}

/// The subject the request's attributes describe, if they describe one.
pub fn subject_from(attributes: &[Attribute]) -> OpResult<Option<DistinguishedName>> {
    let bad = |e: CryptoError| OpError::InvalidField(format!("the certificate subject: {e}"));
    for attribute in attributes {
        if let Attribute::X_509CertificateSubject(subject) = attribute {
            return DistinguishedName::from_der(subject.subject_distinguished_name.as_slice()).map(Some).map_err(bad);
        }
    }
    let parts: Vec<(NameAttribute, &str)> = attributes.iter().filter_map(subject_part).collect();
    if parts.is_empty() {
        return Ok(None);
    }
    DistinguishedName::from_attributes(&parts).map(Some).map_err(bad)
}

/// Splits off the attributes that describe the certificate to issue (its subject, its type):
/// they are the server's to set, from the certificate it issues.
pub fn take_description(attributes: Vec<Attribute>) -> (Vec<Attribute>, Vec<Attribute>) {
    attributes.into_iter().partition(|a| {
        !(subject_part(a).is_some()
            || matches!(a, Attribute::X_509CertificateSubject(_) | Attribute::CertificateType(_)))
    })
}

/// The validity of a certificate: from the Activation Date (else `now`) to the Deactivation Date
/// (else `default_length` later).
pub fn validity(attributes: &[Attribute], now: i64, default_length: i64) -> (i64, i64) {
    let date = |select: fn(&Attribute) -> Option<i64>| attributes.iter().find_map(select);
    let not_before =
        date(|a| if let Attribute::ActivationDate(d) = a { Some(d.seconds()) } else { None }).unwrap_or(now);
    let not_after = date(|a| if let Attribute::DeactivationDate(d) = a { Some(d.seconds()) } else { None })
        .unwrap_or(not_before.saturating_add(default_length));
    (not_before, not_after)
}

/// Issues an end-entity certificate for `subject_key`, signed by `authority`.
pub fn issue(
    authority: &Authority,
    subject_key: SubjectKey<'_>,
    subject: Option<DistinguishedName>,
    (not_before, not_after): (i64, i64),
) -> OpResult<Vec<u8>> {
    if matches!(subject_key, SubjectKey::PublicKey(_)) && subject.is_none() {
        return Err(OpError::MissingData(
            "a certificate for a public key needs its subject in the attributes (Certificate Subject CN...)".into(),
        ));
    }
    let request = CertificateRequest {
        subject_key,
        subject,
        not_before,
        not_after,
        serial_number: None,
        is_ca: false,
        subject_alt_names: Vec::new(),
    };
    let issuer = Issuer { certificate: &authority.certificate, private_key: &authority.private_key };
    certificates::issue_certificate(&request, &issuer).map_err(|error| match (subject_key, error) {
        (SubjectKey::Csr(_), CryptoError::VerificationFailed) => {
            OpError::InvalidCsr("its signature does not verify".into())
        }
        (SubjectKey::Csr(_), CryptoError::InvalidInput(why)) => OpError::InvalidCsr(why),
        (_, other) => failure(other),
    })
}
