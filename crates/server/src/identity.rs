//! Who a client is: a name read from its certificate, which TLS has already verified against the
//! configured CAs. Objects belong to the identity that created them and administrators are listed
//! by identity, so the rule that picks the name is part of the server's security policy.
//!
//! The certificate is parsed with x509-parser: the rustls stack verifies chains but exposes no
//! subject fields, and x509-parser is the parser rcgen already uses to reload the development CA,
//! so it adds no dependency of its own.

use keyward_core::ClientIdentity;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::FromDer;

/// Which part of the client certificate names the client.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdentitySource {
    /// The subject's common name; the certificate must have exactly one.
    #[default]
    CommonName,
    /// The first DNS name of the subject alternative names.
    SanDns,
    /// The first email address (RFC 822 name) of the subject alternative names.
    SanEmail,
    /// The first URI of the subject alternative names (a SPIFFE ID, for instance).
    SanUri,
    /// The SHA-256 digest of the whole certificate, in lowercase hexadecimal: a new certificate is
    /// a new identity.
    Sha256Fingerprint,
    /// The subject's organization (O); the certificate must have exactly one. Every client of
    /// the organization is one identity: for services that share their keys.
    Organization,
    /// The subject's organizational unit (OU); the certificate must have exactly one.
    OrganizationalUnit,
}

/// A part of a client certificate a role rule (`[[access.roles]]`) looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CertificateField {
    #[serde(alias = "cn")]
    CommonName,
    #[serde(alias = "o")]
    Organization,
    #[serde(alias = "ou")]
    OrganizationalUnit,
    SanDns,
    SanEmail,
    SanUri,
    #[serde(alias = "fingerprint")]
    Sha256Fingerprint,
}

impl CertificateField {
    /// Every value of the field in a DER certificate (none when it cannot be parsed).
    pub fn values(self, certificate: &[u8]) -> Vec<String> {
        if self == CertificateField::Sha256Fingerprint {
            return vec![hex::encode(Sha256::digest(certificate))];
        }
        let Ok(parsed) = parse(certificate) else { return Vec::new() };
        let subject = parsed.subject();
        let texts = |values: Vec<&x509_parser::x509::AttributeTypeAndValue<'_>>| -> Vec<String> {
            values.into_iter().filter_map(|v| v.as_str().ok().map(str::to_string)).collect()
        };
        let alternative = |pick: fn(&GeneralName<'_>) -> Option<String>| -> Vec<String> {
            match parsed.subject_alternative_name() {
                Ok(Some(san)) => san.value.general_names.iter().filter_map(pick).collect(),
                _ => Vec::new(),
            }
        };
        match self {
            CertificateField::CommonName => texts(subject.iter_common_name().collect()),
            CertificateField::Organization => texts(subject.iter_organization().collect()),
            CertificateField::OrganizationalUnit => texts(subject.iter_organizational_unit().collect()),
            CertificateField::SanDns => alternative(|n| match n {
                GeneralName::DNSName(v) => Some(v.to_string()),
                _ => None,
            }),
            CertificateField::SanEmail => alternative(|n| match n {
                GeneralName::RFC822Name(v) => Some(v.to_string()),
                _ => None,
            }),
            CertificateField::SanUri => alternative(|n| match n {
                GeneralName::URI(v) => Some(v.to_string()),
                _ => None,
            }),
            CertificateField::Sha256Fingerprint => Vec::new(),
        }
    }
}

/// Why no identity could be read from a certificate.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IdentityError {
    #[error("the client presented no certificate")]
    NoCertificate,
    #[error("the client certificate cannot be parsed: {0}")]
    Unparsable(String),
    #[error("the client certificate has no subject common name")]
    NoCommonName,
    #[error("the client certificate has no subject {0}")]
    NoSubjectField(&'static str),
    #[error("the client certificate has {1} subject {0} values; the identity would be ambiguous")]
    SeveralSubjectFields(&'static str, usize),
    #[error("the identity {0:?} starts with the name of a tenant its CA is not mapped to")]
    ForeignTenant(String),
    #[error("the client certificate has {0} subject common names; the identity would be ambiguous")]
    SeveralCommonNames(usize),
    #[error("the client certificate has no {0} subject alternative name")]
    NoAlternativeName(&'static str),
    #[error("the identity in the client certificate is not text a log or an owner name can hold")]
    Unprintable,
}

impl IdentitySource {
    /// Reads the identity from a DER certificate.
    pub fn identify(self, certificate: &[u8]) -> Result<ClientIdentity, IdentityError> {
        let name = match self {
            IdentitySource::Sha256Fingerprint => hex::encode(Sha256::digest(certificate)),
            IdentitySource::CommonName => common_name(&parse(certificate)?)?,
            IdentitySource::Organization => {
                single("organization", CertificateField::Organization.values(certificate), certificate)?
            }
            IdentitySource::OrganizationalUnit => {
                single("organizational unit", CertificateField::OrganizationalUnit.values(certificate), certificate)?
            }
            IdentitySource::SanDns => alternative_name(&parse(certificate)?, "DNS", |name| match name {
                GeneralName::DNSName(dns) => Some(dns.to_string()),
                _ => None,
            })?,
            IdentitySource::SanEmail => alternative_name(&parse(certificate)?, "email", |name| match name {
                GeneralName::RFC822Name(email) => Some(email.to_string()),
                _ => None,
            })?,
            IdentitySource::SanUri => alternative_name(&parse(certificate)?, "URI", |name| match name {
                GeneralName::URI(uri) => Some(uri.to_string()),
                _ => None,
            })?,
        };
        // The identity ends up in logs and in the store as an owner: no control characters, and
        // nothing that is only whitespace.
        if name.trim().is_empty() || name.chars().any(char::is_control) {
            return Err(IdentityError::Unprintable);
        }
        Ok(ClientIdentity::new(name))
    }
}

/// The one value of a subject field.
fn single(what: &'static str, mut values: Vec<String>, certificate: &[u8]) -> Result<String, IdentityError> {
    parse(certificate)?;
    match values.len() {
        0 => Err(IdentityError::NoSubjectField(what)),
        1 => Ok(values.remove(0)),
        n => Err(IdentityError::SeveralSubjectFields(what, n)),
    }
}

fn parse(certificate: &[u8]) -> Result<X509Certificate<'_>, IdentityError> {
    X509Certificate::from_der(certificate)
        .map(|(_, parsed)| parsed)
        .map_err(|e| IdentityError::Unparsable(e.to_string()))
}

/// The first subject alternative name that `pick` accepts.
fn alternative_name(
    certificate: &X509Certificate<'_>,
    kind: &'static str,
    pick: impl Fn(&GeneralName<'_>) -> Option<String>,
) -> Result<String, IdentityError> {
    let extension = certificate.subject_alternative_name().map_err(|e| IdentityError::Unparsable(e.to_string()))?;
    extension
        .and_then(|san| san.value.general_names.iter().find_map(pick))
        .ok_or(IdentityError::NoAlternativeName(kind))
}

fn common_name(certificate: &X509Certificate<'_>) -> Result<String, IdentityError> {
    let names: Vec<_> = certificate.subject().iter_common_name().collect();
    match names.as_slice() {
        [] => Err(IdentityError::NoCommonName),
        [one] => one.as_str().map(str::to_string).map_err(|e| IdentityError::Unparsable(e.to_string())),
        several => Err(IdentityError::SeveralCommonNames(several.len())),
    }
}

#[cfg(test)]
mod tests {
    use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, SanType};

    use super::*;

    fn certificate(common_names: &[&str], alternative_names: Vec<SanType>) -> Vec<u8> {
        let mut params = CertificateParams::default();
        let mut subject = DistinguishedName::new();
        for (i, name) in common_names.iter().enumerate() {
            // rcgen keeps one value per attribute type; a second common name needs its OID spelt
            // out as a "custom" type.
            let kind = if i == 0 { DnType::CommonName } else { DnType::CustomDnType(vec![2, 5, 4, 3]) };
            subject.push(kind, *name);
        }
        params.distinguished_name = subject;
        params.subject_alt_names = alternative_names;
        let key = KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().der().to_vec()
    }

    fn san_dns(name: &str) -> SanType {
        SanType::DnsName(name.try_into().unwrap())
    }

    #[test]
    fn reads_the_common_name() {
        let der = certificate(&["alice"], vec![]);
        assert_eq!(IdentitySource::CommonName.identify(&der).unwrap().name, "alice");
    }

    #[test]
    fn refuses_a_missing_or_ambiguous_common_name() {
        assert_eq!(IdentitySource::CommonName.identify(&certificate(&[], vec![])), Err(IdentityError::NoCommonName));
        let two = certificate(&["alice", "mallory"], vec![]);
        assert_eq!(IdentitySource::CommonName.identify(&two), Err(IdentityError::SeveralCommonNames(2)));
    }

    #[test]
    fn reads_the_first_alternative_name_of_the_configured_kind() {
        let der = certificate(
            &["ignored"],
            vec![
                SanType::URI("spiffe://example.org/backup".try_into().unwrap()),
                san_dns("db1.example.org"),
                SanType::Rfc822Name("ops@example.org".try_into().unwrap()),
                san_dns("db2.example.org"),
            ],
        );
        assert_eq!(IdentitySource::SanDns.identify(&der).unwrap().name, "db1.example.org");
        assert_eq!(IdentitySource::SanEmail.identify(&der).unwrap().name, "ops@example.org");
        assert_eq!(IdentitySource::SanUri.identify(&der).unwrap().name, "spiffe://example.org/backup");
    }

    #[test]
    fn refuses_a_certificate_without_the_alternative_name() {
        let der = certificate(&["alice"], vec![san_dns("alice.example.org")]);
        assert_eq!(IdentitySource::SanEmail.identify(&der), Err(IdentityError::NoAlternativeName("email")));
        let bare = certificate(&["alice"], vec![]);
        assert_eq!(IdentitySource::SanUri.identify(&bare), Err(IdentityError::NoAlternativeName("URI")));
    }

    #[test]
    fn the_fingerprint_is_the_sha256_of_the_certificate() {
        let der = certificate(&["alice"], vec![]);
        let name = IdentitySource::Sha256Fingerprint.identify(&der).unwrap().name;
        assert_eq!(name, hex::encode(Sha256::digest(&der)));
        assert_eq!(name.len(), 64);
        assert!(name.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        // Another certificate for the same name is another identity.
        let again = IdentitySource::Sha256Fingerprint.identify(&certificate(&["alice"], vec![])).unwrap().name;
        assert_ne!(name, again);
    }

    #[test]
    fn reads_the_organization_and_its_unit() {
        let mut params = CertificateParams::default();
        let mut subject = DistinguishedName::new();
        subject.push(DnType::CommonName, "db1");
        subject.push(DnType::OrganizationName, "Example");
        subject.push(DnType::OrganizationalUnitName, "payments");
        params.distinguished_name = subject;
        let key = KeyPair::generate().unwrap();
        let der = params.self_signed(&key).unwrap().der().to_vec();
        assert_eq!(IdentitySource::Organization.identify(&der).unwrap().name, "Example");
        assert_eq!(IdentitySource::OrganizationalUnit.identify(&der).unwrap().name, "payments");
        assert_eq!(CertificateField::OrganizationalUnit.values(&der), vec!["payments".to_string()]);
        let bare = certificate(&["alice"], vec![]);
        assert_eq!(IdentitySource::Organization.identify(&bare), Err(IdentityError::NoSubjectField("organization")));
    }

    #[test]
    fn refuses_control_characters_and_garbage() {
        let der = certificate(&["alice\nINFO forged log line"], vec![]);
        assert_eq!(IdentitySource::CommonName.identify(&der), Err(IdentityError::Unprintable));
        assert!(matches!(IdentitySource::CommonName.identify(b"not a certificate"), Err(IdentityError::Unparsable(_))));
    }
}
