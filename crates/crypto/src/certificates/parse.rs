//! Reading X.509 certificates (with `x509-parser`) and describing them.

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName as ParsedGeneralName, ParsedExtension};
use x509_parser::prelude::FromDer;
use x509_parser::signature_algorithm::SignatureAlgorithm as ParsedAlgorithm;
use x509_parser::x509::AlgorithmIdentifier;

use super::name::DistinguishedName;
use crate::asymmetric::{self, PublicKey, SignatureScheme};
use crate::formats::{self, KeyInfo, PublicKeyFormat};
use crate::hash::HashAlgorithm;
use crate::{CryptoError, CryptoResult};

/// A certificate's signature algorithm, in the terms of KMIP's Digital Signature Algorithm
/// enumeration.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CertificateSignatureAlgorithm {
    Md5WithRsa,
    Sha1WithRsa,
    Sha224WithRsa,
    Sha256WithRsa,
    Sha384WithRsa,
    Sha512WithRsa,
    /// RSASSA-PSS; the hash and salt are in the algorithm's parameters.
    RsaPss,
    DsaWithSha1,
    DsaWithSha224,
    DsaWithSha256,
    EcdsaWithSha1,
    EcdsaWithSha224,
    EcdsaWithSha256,
    EcdsaWithSha384,
    EcdsaWithSha512,
    Ed25519,
    /// Anything else, by dotted OID.
    Other(String),
}

impl CertificateSignatureAlgorithm {
    fn from_oid(oid: &str) -> Self {
        use CertificateSignatureAlgorithm::*;
        match oid {
            "1.2.840.113549.1.1.4" => Md5WithRsa,
            "1.2.840.113549.1.1.5" | "1.3.14.3.2.29" => Sha1WithRsa,
            "1.2.840.113549.1.1.14" => Sha224WithRsa,
            "1.2.840.113549.1.1.11" => Sha256WithRsa,
            "1.2.840.113549.1.1.12" => Sha384WithRsa,
            "1.2.840.113549.1.1.13" => Sha512WithRsa,
            "1.2.840.113549.1.1.10" => RsaPss,
            "1.2.840.10040.4.3" => DsaWithSha1,
            "2.16.840.1.101.3.4.3.1" => DsaWithSha224,
            "2.16.840.1.101.3.4.3.2" => DsaWithSha256,
            "1.2.840.10045.4.1" => EcdsaWithSha1,
            "1.2.840.10045.4.3.1" => EcdsaWithSha224,
            "1.2.840.10045.4.3.2" => EcdsaWithSha256,
            "1.2.840.10045.4.3.3" => EcdsaWithSha384,
            "1.2.840.10045.4.3.4" => EcdsaWithSha512,
            "1.3.101.112" => Ed25519,
            other => Other(other.to_string()),
        }
    }

    /// The signature scheme, where this crate can verify it (PSS reads its parameters).
    fn scheme(&self, alg: &AlgorithmIdentifier<'_>) -> Option<SignatureScheme> {
        use CertificateSignatureAlgorithm::*;
        Some(match self {
            Sha1WithRsa => SignatureScheme::RsaPkcs1v15(HashAlgorithm::Sha1),
            Sha224WithRsa => SignatureScheme::RsaPkcs1v15(HashAlgorithm::Sha224),
            Sha256WithRsa => SignatureScheme::RsaPkcs1v15(HashAlgorithm::Sha256),
            Sha384WithRsa => SignatureScheme::RsaPkcs1v15(HashAlgorithm::Sha384),
            Sha512WithRsa => SignatureScheme::RsaPkcs1v15(HashAlgorithm::Sha512),
            EcdsaWithSha1 => SignatureScheme::Ecdsa(HashAlgorithm::Sha1),
            EcdsaWithSha224 => SignatureScheme::Ecdsa(HashAlgorithm::Sha224),
            EcdsaWithSha256 => SignatureScheme::Ecdsa(HashAlgorithm::Sha256),
            EcdsaWithSha384 => SignatureScheme::Ecdsa(HashAlgorithm::Sha384),
            EcdsaWithSha512 => SignatureScheme::Ecdsa(HashAlgorithm::Sha512),
            Ed25519 => SignatureScheme::Ed25519,
            RsaPss => match ParsedAlgorithm::try_from(alg).ok()? {
                ParsedAlgorithm::RSASSA_PSS(params) => {
                    let hash = match params.hash_algorithm_oid().to_id_string().as_str() {
                        "1.3.14.3.2.26" => HashAlgorithm::Sha1,
                        "2.16.840.1.101.3.4.2.4" => HashAlgorithm::Sha224,
                        "2.16.840.1.101.3.4.2.1" => HashAlgorithm::Sha256,
                        "2.16.840.1.101.3.4.2.2" => HashAlgorithm::Sha384,
                        "2.16.840.1.101.3.4.2.3" => HashAlgorithm::Sha512,
                        _ => return None,
                    };
                    SignatureScheme::RsaPss { hash, salt_len: Some(params.salt_length() as usize) }
                }
                _ => return None,
            },
            _ => return None,
        })
    }
}

/// A subject or issuer alternative name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GeneralName {
    Dns(String),
    Email(String),
    Uri(String),
    /// 4 bytes for IPv4, 16 for IPv6.
    Ip(Vec<u8>),
    Directory(DistinguishedName),
    /// Another kind, by its description.
    Other(String),
}

/// What a certificate says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    /// The DER encoding's length (KMIP Certificate Length).
    pub der_len: usize,
    /// 1, 2 or 3.
    pub version: u32,
    /// The serial number's bytes as encoded (big-endian two's complement).
    pub serial_number: Vec<u8>,
    pub subject: DistinguishedName,
    pub issuer: DistinguishedName,
    pub subject_alt_names: Vec<GeneralName>,
    pub issuer_alt_names: Vec<GeneralName>,
    /// Validity, in seconds since the Unix epoch.
    pub not_before: i64,
    pub not_after: i64,
    pub signature_algorithm: CertificateSignatureAlgorithm,
    /// The subject public key as SubjectPublicKeyInfo DER.
    pub spki_der: Vec<u8>,
    /// What the subject key is, when this crate knows its algorithm (RSA, EC, Ed25519, X25519).
    pub public_key: Option<KeyInfo>,
    /// Whether basicConstraints says this is a CA.
    pub is_ca: bool,
}

/// The DER of a certificate given as DER or as PEM (the first CERTIFICATE block).
pub fn certificate_der(data: &[u8]) -> CryptoResult<Vec<u8>> {
    let trimmed = data.trim_ascii_start();
    if trimmed.starts_with(b"-----BEGIN") {
        let (_, pem) =
            x509_parser::pem::parse_x509_pem(trimmed).map_err(|e| CryptoError::input(format!("bad PEM: {e}")))?;
        if pem.label != "CERTIFICATE" {
            return Err(CryptoError::input(format!("a PEM {} block, not a CERTIFICATE", pem.label)));
        }
        Ok(pem.contents)
    } else {
        Ok(data.to_vec())
    }
}

pub(super) fn parse(der: &[u8]) -> CryptoResult<X509Certificate<'_>> {
    let (rest, cert) =
        X509Certificate::from_der(der).map_err(|e| CryptoError::input(format!("not an X.509 certificate: {e}")))?;
    if !rest.is_empty() {
        return Err(CryptoError::input("trailing bytes after the certificate"));
    }
    Ok(cert)
}

pub(super) fn general_names_of(names: &[ParsedGeneralName<'_>]) -> CryptoResult<Vec<GeneralName>> {
    names
        .iter()
        .map(|n| {
            Ok(match n {
                ParsedGeneralName::DNSName(s) => GeneralName::Dns(s.to_string()),
                ParsedGeneralName::RFC822Name(s) => GeneralName::Email(s.to_string()),
                ParsedGeneralName::URI(s) => GeneralName::Uri(s.to_string()),
                ParsedGeneralName::IPAddress(b) => GeneralName::Ip(b.to_vec()),
                ParsedGeneralName::DirectoryName(name) => {
                    GeneralName::Directory(DistinguishedName::from_der(name.as_raw())?)
                }
                other => GeneralName::Other(format!("{other:?}")),
            })
        })
        .collect()
}

/// Parses a certificate (DER or PEM) and describes it.
pub fn describe_certificate(data: &[u8]) -> CryptoResult<CertificateInfo> {
    let der = certificate_der(data)?;
    let cert = parse(&der)?;
    let mut subject_alt_names = Vec::new();
    let mut issuer_alt_names = Vec::new();
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => subject_alt_names = general_names_of(&san.general_names)?,
            ParsedExtension::IssuerAlternativeName(ian) => issuer_alt_names = general_names_of(&ian.general_names)?,
            _ => {}
        }
    }
    let spki_der = cert.public_key().raw.to_vec();
    Ok(CertificateInfo {
        der_len: der.len(),
        version: cert.version().0 + 1,
        serial_number: cert.raw_serial().to_vec(),
        subject: DistinguishedName::from_der(cert.subject().as_raw())?,
        issuer: DistinguishedName::from_der(cert.issuer().as_raw())?,
        subject_alt_names,
        issuer_alt_names,
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        signature_algorithm: CertificateSignatureAlgorithm::from_oid(
            &cert.signature_algorithm.algorithm.to_id_string(),
        ),
        public_key: formats::describe_public_key(&spki_der, PublicKeyFormat::Spki).ok(),
        spki_der,
        is_ca: cert.is_ca(),
    })
}

/// Checks a signature made by `signer_spki` over `tbs` with the algorithm `alg`; used for CSRs
/// and self-signed roots. An algorithm this crate cannot verify is [`CryptoError::Unsupported`].
pub(super) fn verify_signed(
    signer_spki: &[u8],
    alg: &AlgorithmIdentifier<'_>,
    tbs: &[u8],
    signature: &[u8],
) -> CryptoResult<()> {
    let kind = CertificateSignatureAlgorithm::from_oid(&alg.algorithm.to_id_string());
    let scheme =
        kind.scheme(alg).ok_or_else(|| CryptoError::unsupported(format!("the signature algorithm {kind:?}")))?;
    let key = PublicKey::from_spki(signer_spki)?;
    asymmetric::verify(&key, scheme, tbs, signature)
}
