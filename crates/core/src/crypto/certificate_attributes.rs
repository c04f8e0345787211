//! The attributes a certificate determines (2.1 §4.6 Certificate Attributes, §4.7, §4.8, §4.22,
//! §4.61–4.63; 1.4 §3.8–3.16, the 1.0 forms included): what the server sets on a certificate
//! registered, certified or re-certified; and, the other way, the subject a Certify request
//! describes with those attributes.

use keyward_crypto::certificates::{
    CertificateInfo, CertificateSignatureAlgorithm, DistinguishedName, NameAttribute, describe_certificate,
};
use keyward_kmip::Bytes;
use keyward_kmip::attributes::{
    Attribute, CertificateIdentifier, CertificateIssuer, CertificateSubject, X509CertificateIdentifier,
    X509CertificateIssuer, X509CertificateSubject,
};
use keyward_kmip::enums::DigitalSignatureAlgorithm;
use keyward_kmip::objects::Certificate;
use keyward_ttlv::{KmipEnum, KmipVersion};

use super::keypair;
use crate::error::{OpError, OpResult};

/// The certificate, read: a certificate that does not parse cannot be registered.
pub fn read(certificate: &Certificate) -> OpResult<CertificateInfo> {
    describe_certificate(certificate.certificate_value.as_slice())
        .map_err(|e| OpError::InvalidField(format!("the certificate: {e}")))
}

/// Every attribute the certificate determines, in the forms of every version: which of them a
/// client sees is [`shown_in`]'s decision, at the time it asks.
pub fn attributes_of(certificate: &Certificate, info: &CertificateInfo, version: KmipVersion) -> Vec<Attribute> {
    let mut attributes = vec![
        Attribute::CertificateType(certificate.certificate_type),
        Attribute::CertificateLength(i32::try_from(info.der_len).unwrap_or(i32::MAX)),
        Attribute::X_509CertificateIdentifier(X509CertificateIdentifier {
            issuer_distinguished_name: Bytes::new(info.issuer.der.clone()),
            certificate_serial_number: Bytes::new(info.serial_number.clone()),
        }),
        Attribute::X_509CertificateSubject(X509CertificateSubject {
            subject_distinguished_name: Bytes::new(info.subject.der.clone()),
            subject_alternative_name: Vec::new(),
        }),
        Attribute::X_509CertificateIssuer(X509CertificateIssuer {
            issuer_distinguished_name: Bytes::new(info.issuer.der.clone()),
            issuer_alternative_name: Vec::new(),
        }),
    ];
    attributes.extend(name_attributes(&info.subject, subject_attribute));
    attributes.extend(name_attributes(&info.issuer, issuer_attribute));
    if let Some(algorithm) = signature_algorithm(&info.signature_algorithm).filter(|a| a.exists_in(version)) {
        attributes.push(Attribute::DigitalSignatureAlgorithm(algorithm));
    }
    if let Some(key) = &info.public_key {
        attributes.extend(keypair::attributes_of(key, version));
    }
    {
        let serial: String = info.serial_number.iter().map(|b| format!("{b:02x}")).collect();
        attributes.push(Attribute::CertificateIdentifier(CertificateIdentifier {
            issuer: text_form(&info.issuer),
            serial_number: Some(serial),
        }));
        attributes.push(Attribute::CertificateSubject(CertificateSubject {
            certificate_subject_distinguished_name: text_form(&info.subject),
            certificate_subject_alternative_name: Vec::new(),
        }));
        attributes.push(Attribute::CertificateIssuer(CertificateIssuer {
            certificate_issuer_distinguished_name: text_form(&info.issuer),
            certificate_issuer_alternative_name: Vec::new(),
        }));
    }
    attributes
}

/// Whether a certificate's attribute is shown to a client of `version` (Get Attributes, Get
/// Attribute List). The encoder already leaves out what a version has no tag for (the X.509 forms
/// and Digital Signature Algorithm before 1.1, everything of 1.x alone in 2.x); this decides the
/// rest:
/// - Certificate Identifier, Certificate Subject and Certificate Issuer (1.0 §3.9–3.11) are a
///   certificate's own in 1.0, and still in 1.1 and 1.2 (§3.13–3.15, deprecated there, the X.509
///   forms of §3.10–3.12 beside them); 1.3 and 1.4 clients read the X.509 forms.
/// - 1.0 gives a certificate no Cryptographic Algorithm or Length: §3.4 and §3.5 of 1.0 speak of
///   the object's own algorithm and key material, which a certificate does not have; 1.1 §3.4
///   first defines them for a certificate, as those of the public key inside it.
pub fn shown_in(attribute: &Attribute, version: KmipVersion) -> bool {
    match attribute {
        Attribute::CertificateIdentifier(_) | Attribute::CertificateSubject(_) | Attribute::CertificateIssuer(_) => {
            version <= KmipVersion::V1_2
        }
        Attribute::CryptographicAlgorithm(_) | Attribute::CryptographicLength(_) => version > KmipVersion::V1_0,
        _ => true,
    }
}

/// True when the stored object is a certificate.
pub fn is_certificate(stored: &keyward_store::StoredObject) -> bool {
    stored
        .attributes
        .iter()
        .any(|a| matches!(a.attribute, Attribute::ObjectType(keyward_kmip::enums::ObjectType::Certificate)))
}

fn name_attributes(name: &DistinguishedName, make: fn(NameAttribute, String) -> Attribute) -> Vec<Attribute> {
    name.entries.iter().filter_map(|entry| entry.attribute.map(|a| make(a, entry.value.clone()))).collect()
}

fn subject_attribute(attribute: NameAttribute, value: String) -> Attribute {
    match attribute {
        NameAttribute::CommonName => Attribute::CertificateSubjectCN(value),
        NameAttribute::Organization => Attribute::CertificateSubjectO(value),
        NameAttribute::OrganizationalUnit => Attribute::CertificateSubjectOU(value),
        NameAttribute::Email => Attribute::CertificateSubjectEmail(value),
        NameAttribute::Country => Attribute::CertificateSubjectC(value),
        NameAttribute::State => Attribute::CertificateSubjectST(value),
        NameAttribute::Locality => Attribute::CertificateSubjectL(value),
        NameAttribute::Uid => Attribute::CertificateSubjectUID(value),
        NameAttribute::SerialNumber => Attribute::CertificateSubjectSerialNumber(value),
        NameAttribute::Title => Attribute::CertificateSubjectTitle(value),
        NameAttribute::DomainComponent => Attribute::CertificateSubjectDC(value),
        NameAttribute::DnQualifier => Attribute::CertificateSubjectDNQualifier(value),
    }
}

fn issuer_attribute(attribute: NameAttribute, value: String) -> Attribute {
    match attribute {
        NameAttribute::CommonName => Attribute::CertificateIssuerCN(value),
        NameAttribute::Organization => Attribute::CertificateIssuerO(value),
        NameAttribute::OrganizationalUnit => Attribute::CertificateIssuerOU(value),
        NameAttribute::Email => Attribute::CertificateIssuerEmail(value),
        NameAttribute::Country => Attribute::CertificateIssuerC(value),
        NameAttribute::State => Attribute::CertificateIssuerST(value),
        NameAttribute::Locality => Attribute::CertificateIssuerL(value),
        NameAttribute::Uid => Attribute::CertificateIssuerUID(value),
        NameAttribute::SerialNumber => Attribute::CertificateIssuerSerialNumber(value),
        NameAttribute::Title => Attribute::CertificateIssuerTitle(value),
        NameAttribute::DomainComponent => Attribute::CertificateIssuerDC(value),
        NameAttribute::DnQualifier => Attribute::CertificateIssuerDNQualifier(value),
    }
}

/// The name attribute a Certificate Subject attribute gives a value for, if it is one.
pub fn subject_part(attribute: &Attribute) -> Option<(NameAttribute, &str)> {
    Some(match attribute {
        Attribute::CertificateSubjectCN(v) => (NameAttribute::CommonName, v),
        Attribute::CertificateSubjectO(v) => (NameAttribute::Organization, v),
        Attribute::CertificateSubjectOU(v) => (NameAttribute::OrganizationalUnit, v),
        Attribute::CertificateSubjectEmail(v) => (NameAttribute::Email, v),
        Attribute::CertificateSubjectC(v) => (NameAttribute::Country, v),
        Attribute::CertificateSubjectST(v) => (NameAttribute::State, v),
        Attribute::CertificateSubjectL(v) => (NameAttribute::Locality, v),
        Attribute::CertificateSubjectUID(v) => (NameAttribute::Uid, v),
        Attribute::CertificateSubjectSerialNumber(v) => (NameAttribute::SerialNumber, v),
        Attribute::CertificateSubjectTitle(v) => (NameAttribute::Title, v),
        Attribute::CertificateSubjectDC(v) => (NameAttribute::DomainComponent, v),
        Attribute::CertificateSubjectDNQualifier(v) => (NameAttribute::DnQualifier, v),
        _ => return None,
    })
}

/// The KMIP Digital Signature Algorithm of a certificate's signature, where KMIP names it.
fn signature_algorithm(algorithm: &CertificateSignatureAlgorithm) -> Option<DigitalSignatureAlgorithm> {
    use CertificateSignatureAlgorithm as C;
    use DigitalSignatureAlgorithm as D;
    Some(match algorithm {
        C::Md5WithRsa => D::MD5WithRSAEncryption,
        C::Sha1WithRsa => D::SHA_1WithRSAEncryption,
        C::Sha224WithRsa => D::SHA_224WithRSAEncryption,
        C::Sha256WithRsa => D::SHA_256WithRSAEncryption,
        C::Sha384WithRsa => D::SHA_384WithRSAEncryption,
        C::Sha512WithRsa => D::SHA_512WithRSAEncryption,
        C::RsaPss => D::RSASSA_PSS,
        C::DsaWithSha1 => D::DSAWithSHA_1,
        C::DsaWithSha224 => D::DSAWithSHA224,
        C::DsaWithSha256 => D::DSAWithSHA256,
        C::EcdsaWithSha1 => D::ECDSAWithSHA_1,
        C::EcdsaWithSha224 => D::ECDSAWithSHA224,
        C::EcdsaWithSha256 => D::ECDSAWithSHA256,
        C::EcdsaWithSha384 => D::ECDSAWithSHA384,
        C::EcdsaWithSha512 => D::ECDSAWithSHA512,
        C::Ed25519 | C::Other(_) => return None,
    })
}

/// A name in the string form of RFC 4514 (most significant attribute last in the encoding, so
/// first in the text), for the 1.0 attributes that carry names as text.
fn text_form(name: &DistinguishedName) -> String {
    let label = |entry: &keyward_crypto::certificates::NameEntry| match entry.attribute {
        Some(NameAttribute::CommonName) => "CN".to_string(),
        Some(NameAttribute::Organization) => "O".to_string(),
        Some(NameAttribute::OrganizationalUnit) => "OU".to_string(),
        Some(NameAttribute::Country) => "C".to_string(),
        Some(NameAttribute::State) => "ST".to_string(),
        Some(NameAttribute::Locality) => "L".to_string(),
        Some(NameAttribute::Uid) => "UID".to_string(),
        Some(NameAttribute::DomainComponent) => "DC".to_string(),
        _ => entry.oid.clone(),
    };
    name.entries.iter().rev().map(|e| format!("{}={}", label(e), e.value)).collect::<Vec<_>>().join(",")
}
