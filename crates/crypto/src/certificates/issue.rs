//! Issuing certificates (KMIP Certify) with the `x509-cert` builder, signed through this crate's
//! own [`crate::asymmetric::sign`]. The issuer name is the CA certificate's subject copied byte
//! for byte, so chain builders that compare names as bytes find the CA.

use std::time::{Duration, SystemTime};

use der::asn1::{Any, BitString, Ia5String, Null, ObjectIdentifier as Oid, OctetString};
use der::{Decode, Document, Encode};
use spki::{
    AlgorithmIdentifierOwned, DynSignatureAlgorithmIdentifier, EncodePublicKey, SignatureBitStringEncoding,
    SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef,
};
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::builder::{Builder, CertificateBuilder};
use x509_cert::certificate::TbsCertificate;
use x509_cert::ext::pkix::name::GeneralName as X509GeneralName;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, KeyUsage, KeyUsages, SubjectAltName, SubjectKeyIdentifier,
};
use x509_cert::ext::{Extension, ToExtension};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};
use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::FromDer;

use super::name::DistinguishedName;
use super::parse::{self, GeneralName};
use crate::asymmetric::{self, Curve, KeyAlgorithm, PrivateKey, SignatureScheme};
use crate::formats::oids;
use crate::hash::HashAlgorithm;
use crate::{CryptoError, CryptoResult};

/// The key the certificate is for.
#[derive(Debug, Clone, Copy)]
pub enum SubjectKey<'a> {
    /// A SubjectPublicKeyInfo (DER).
    PublicKey(&'a [u8]),
    /// A PKCS#10 certification request (DER); its self-signature is checked.
    Csr(&'a [u8]),
}

/// What to put in a certificate.
#[derive(Debug, Clone)]
pub struct CertificateRequest<'a> {
    pub subject_key: SubjectKey<'a>,
    /// The subject; `None` takes the CSR's subject (and is an error with a bare public key).
    pub subject: Option<DistinguishedName>,
    /// Validity, in seconds since the Unix epoch.
    pub not_before: i64,
    pub not_after: i64,
    /// The serial number's bytes; `None` for 16 random bytes.
    pub serial_number: Option<Vec<u8>>,
    /// Whether the certificate is for a CA (basicConstraints cA, keyCertSign).
    pub is_ca: bool,
    /// Subject alternative names (DNS, email, URI, IP, directory); empty takes those a CSR asks for.
    pub subject_alt_names: Vec<GeneralName>,
}

/// The CA that signs: its certificate (DER or PEM) and its private key (PKCS#8).
#[derive(Debug, Clone, Copy)]
pub struct Issuer<'a> {
    pub certificate: &'a [u8],
    pub private_key: &'a [u8],
}

/// What a verified PKCS#10 request holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsrInfo {
    pub subject: DistinguishedName,
    pub spki_der: Vec<u8>,
    pub subject_alt_names: Vec<GeneralName>,
}

/// Parses a PKCS#10 request and checks its self-signature ([`CryptoError::VerificationFailed`]
/// if it does not verify; KMIP answers "Invalid CSR").
pub fn verify_csr(der: &[u8]) -> CryptoResult<CsrInfo> {
    let (rest, csr) = X509CertificationRequest::from_der(der)
        .map_err(|e| CryptoError::input(format!("not a PKCS#10 request: {e}")))?;
    if !rest.is_empty() {
        return Err(CryptoError::input("trailing bytes after the request"));
    }
    let info = &csr.certification_request_info;
    let spki_der = info.subject_pki.raw.to_vec();
    parse::verify_signed(&spki_der, &csr.signature_algorithm, info.raw, &csr.signature_value.data)?;
    let mut subject_alt_names = Vec::new();
    for ext in csr.requested_extensions().into_iter().flatten() {
        if let ParsedExtension::SubjectAlternativeName(san) = ext {
            subject_alt_names = super::parse::general_names_of(&san.general_names)?;
        }
    }
    Ok(CsrInfo { subject: DistinguishedName::from_der(info.subject.as_raw())?, spki_der, subject_alt_names })
}

/// Issues an X.509 v3 certificate signed by `issuer`: RSA CAs sign with SHA-256 and PKCS#1 v1.5,
/// EC CAs with ECDSA and their curve's hash (SHA-256, SHA-384, SHA-512), Ed25519 CAs with Ed25519.
pub fn issue_certificate(request: &CertificateRequest<'_>, issuer: &Issuer<'_>) -> CryptoResult<Vec<u8>> {
    let (spki_der, csr_subject, csr_sans) = match request.subject_key {
        SubjectKey::PublicKey(spki) => (spki.to_vec(), None, Vec::new()),
        SubjectKey::Csr(der) => {
            let csr = verify_csr(der)?;
            (csr.spki_der, Some(csr.subject), csr.subject_alt_names)
        }
    };
    let subject_key = asymmetric::PublicKey::from_spki(&spki_der)?;
    let subject = match (&request.subject, csr_subject) {
        (Some(s), _) => s.clone(),
        (None, Some(s)) => s,
        (None, None) => return Err(CryptoError::input("a certificate for a bare public key needs a subject")),
    };
    let sans = if request.subject_alt_names.is_empty() { csr_sans } else { request.subject_alt_names.clone() };

    let ca_der = parse::certificate_der(issuer.certificate)?;
    let ca = parse::parse(&ca_der)?;
    let ca_key = PrivateKey::from_pkcs8(issuer.private_key)?;
    if !same_key(ca.public_key().raw, ca_key.public_key()?.spki_der())? {
        return Err(CryptoError::key("the CA private key does not match the CA certificate"));
    }
    let ca_ski = ca.extensions().iter().find_map(|e| match e.parsed_extension() {
        ParsedExtension::SubjectKeyIdentifier(id) => Some(id.0.to_vec()),
        _ => None,
    });

    let profile = Profile {
        issuer: Name::from_der(ca.subject().as_raw()).map_err(|e| CryptoError::input(format!("CA subject: {e}")))?,
        subject: subject.to_name()?,
        is_ca: request.is_ca,
        subject_algorithm: subject_key.algorithm(),
        ca_ski,
        sans: sans.iter().map(to_x509_name).collect::<CryptoResult<_>>()?,
    };
    let serial = match &request.serial_number {
        Some(bytes) => bytes.clone(),
        None => {
            let mut b = crate::random::random_bytes(16)?;
            b[0] = (b[0] & 0x7f) | 0x01; // positive, and no leading zero to strip
            b
        }
    };
    let serial = SerialNumber::new(&serial).map_err(|e| CryptoError::input(format!("serial number: {e}")))?;
    let validity = Validity::new(time(request.not_before)?, time(request.not_after)?);
    let spki =
        SubjectPublicKeyInfoOwned::from_der(&spki_der).map_err(|e| CryptoError::key(format!("public key: {e}")))?;
    let builder = CertificateBuilder::new(profile, serial, validity, spki).map_err(build_err)?;
    let signer = CaSigner::new(&ca_key)?;
    let cert = builder.build::<_, Sig>(&signer).map_err(build_err)?;
    cert.to_der().map_err(|e| CryptoError::failed(format!("certificate encoding: {e}")))
}

/// A self-signed CA certificate for `private_key` (PKCS#8): the issuer is the subject, the
/// authority key identifier the key's own, basicConstraints cA and keyCertSign set. The server's
/// issuing CA (Certify without a Parent Link) is made with this.
pub fn self_signed_ca(
    subject: &DistinguishedName,
    private_key: &[u8],
    not_before: i64,
    not_after: i64,
) -> CryptoResult<Vec<u8>> {
    let key = PrivateKey::from_pkcs8(private_key)?;
    let public = key.public_key()?;
    let name = subject.to_name()?;
    let profile = Profile {
        issuer: name.clone(),
        subject: name,
        is_ca: true,
        subject_algorithm: key.algorithm(),
        ca_ski: None,
        sans: Vec::new(),
    };
    let mut serial = crate::random::random_bytes(16)?;
    serial[0] = (serial[0] & 0x7f) | 0x01; // positive, and no leading zero to strip
    let serial = SerialNumber::new(&serial).map_err(|e| CryptoError::input(format!("serial number: {e}")))?;
    let validity = Validity::new(time(not_before)?, time(not_after)?);
    let spki = SubjectPublicKeyInfoOwned::from_der(public.spki_der())
        .map_err(|e| CryptoError::key(format!("public key: {e}")))?;
    let builder = CertificateBuilder::new(profile, serial, validity, spki).map_err(build_err)?;
    let signer = CaSigner::new(&key)?;
    let cert = builder.build::<_, Sig>(&signer).map_err(build_err)?;
    cert.to_der().map_err(|e| CryptoError::failed(format!("certificate encoding: {e}")))
}

fn build_err(e: x509_cert::builder::Error) -> CryptoError {
    CryptoError::failed(format!("certificate building: {e}"))
}

fn time(unix: i64) -> CryptoResult<Time> {
    let secs = u64::try_from(unix).map_err(|_| CryptoError::input("validity before 1970 is not supported"))?;
    Time::try_from(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
        .map_err(|e| CryptoError::input(format!("validity: {e}")))
}

/// Whether two SubjectPublicKeyInfos hold the same key (same algorithm, same key bits).
fn same_key(a: &[u8], b: &[u8]) -> CryptoResult<bool> {
    let (a, b) = (oids::parse_spki(a)?, oids::parse_spki(b)?);
    Ok(a.algorithm.oid == b.algorithm.oid && a.subject_public_key.raw_bytes() == b.subject_public_key.raw_bytes())
}

fn to_x509_name(name: &GeneralName) -> CryptoResult<X509GeneralName> {
    let ia5 = |s: &str| Ia5String::new(s).map_err(|e| CryptoError::input(format!("alternative name: {e}")));
    Ok(match name {
        GeneralName::Dns(s) => X509GeneralName::DnsName(ia5(s)?),
        GeneralName::Email(s) => X509GeneralName::Rfc822Name(ia5(s)?),
        GeneralName::Uri(s) => X509GeneralName::UniformResourceIdentifier(ia5(s)?),
        GeneralName::Ip(b) => {
            X509GeneralName::IpAddress(OctetString::new(b.clone()).map_err(|e| CryptoError::input(format!("IP: {e}")))?)
        }
        GeneralName::Directory(dn) => X509GeneralName::DirectoryName(dn.to_name()?),
        GeneralName::Other(s) => return Err(CryptoError::unsupported(format!("the alternative name {s}"))),
    })
}

/// The certificate's contents besides key, serial and validity.
struct Profile {
    issuer: Name,
    subject: Name,
    is_ca: bool,
    subject_algorithm: KeyAlgorithm,
    ca_ski: Option<Vec<u8>>,
    sans: Vec<X509GeneralName>,
}

impl BuilderProfile for Profile {
    fn get_issuer(&self, _subject: &Name) -> Name {
        self.issuer.clone()
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        spk: SubjectPublicKeyInfoRef<'_>,
        issuer_spk: SubjectPublicKeyInfoRef<'_>,
        tbs: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        let mut ext = Vec::new();
        let ski = SubjectKeyIdentifier::try_from(spk)?;
        // The authority key identifier must match the CA's own subject key identifier when it has one.
        let aki = match &self.ca_ski {
            Some(id) => OctetString::new(id.clone())?,
            None => SubjectKeyIdentifier::try_from(issuer_spk)?.0,
        };
        ext.push(
            AuthorityKeyIdentifier { key_identifier: Some(aki), ..Default::default() }
                .to_extension(tbs.subject(), &ext)?,
        );
        ext.push(ski.to_extension(tbs.subject(), &ext)?);
        ext.push(BasicConstraints { ca: self.is_ca, path_len_constraint: None }.to_extension(tbs.subject(), &ext)?);
        let usage = if self.is_ca {
            KeyUsages::KeyCertSign | KeyUsages::CRLSign | KeyUsages::DigitalSignature
        } else {
            match self.subject_algorithm {
                KeyAlgorithm::Rsa => KeyUsages::DigitalSignature | KeyUsages::KeyEncipherment,
                KeyAlgorithm::Ec(_) => KeyUsages::DigitalSignature | KeyUsages::KeyAgreement,
                KeyAlgorithm::Ed25519 => KeyUsages::DigitalSignature.into(),
                KeyAlgorithm::X25519 => KeyUsages::KeyAgreement.into(),
            }
        };
        ext.push(KeyUsage(usage).to_extension(tbs.subject(), &ext)?);
        if !self.sans.is_empty() {
            ext.push(SubjectAltName(self.sans.clone()).to_extension(tbs.subject(), &ext)?);
        }
        Ok(ext)
    }
}

/// The CA key as the `signature` crate's signer the builder wants.
struct CaSigner<'a> {
    key: &'a PrivateKey,
    scheme: SignatureScheme,
    algorithm: AlgorithmIdentifierOwned,
    spki: CaPublicKey,
}

#[derive(Clone)]
struct CaPublicKey(Vec<u8>);

/// A signature as the builder wants it: the bytes of the BIT STRING.
struct Sig(Vec<u8>);

impl<'a> CaSigner<'a> {
    fn new(key: &'a PrivateKey) -> CryptoResult<Self> {
        // RFC 4055 §5 (and RFC 3279 for RSA): NULL parameters for RSA, none for ECDSA (RFC 5758
        // §3.2) and Ed25519 (RFC 8410 §3).
        let (scheme, oid, null_params) = match key.algorithm() {
            KeyAlgorithm::Rsa => (SignatureScheme::RsaPkcs1v15(HashAlgorithm::Sha256), "1.2.840.113549.1.1.11", true),
            KeyAlgorithm::Ec(Curve::P256 | Curve::Secp256k1) => {
                (SignatureScheme::Ecdsa(HashAlgorithm::Sha256), "1.2.840.10045.4.3.2", false)
            }
            KeyAlgorithm::Ec(Curve::P384) => {
                (SignatureScheme::Ecdsa(HashAlgorithm::Sha384), "1.2.840.10045.4.3.3", false)
            }
            KeyAlgorithm::Ec(Curve::P521) => {
                (SignatureScheme::Ecdsa(HashAlgorithm::Sha512), "1.2.840.10045.4.3.4", false)
            }
            KeyAlgorithm::Ed25519 => (SignatureScheme::Ed25519, "1.3.101.112", false),
            KeyAlgorithm::X25519 => return Err(CryptoError::unsupported("an X25519 key cannot sign certificates")),
        };
        let oid = Oid::new(oid).map_err(|e| CryptoError::failed(format!("OID: {e}")))?;
        let parameters = if null_params {
            Some(Any::encode_from(&Null).map_err(|e| CryptoError::failed(format!("NULL: {e}")))?)
        } else {
            None
        };
        Ok(CaSigner {
            key,
            scheme,
            algorithm: AlgorithmIdentifierOwned { oid, parameters },
            spki: CaPublicKey(key.public_key()?.spki_der().to_vec()),
        })
    }
}

impl signature::Keypair for CaSigner<'_> {
    type VerifyingKey = CaPublicKey;

    fn verifying_key(&self) -> CaPublicKey {
        self.spki.clone()
    }
}

impl DynSignatureAlgorithmIdentifier for CaSigner<'_> {
    fn signature_algorithm_identifier(&self) -> spki::Result<AlgorithmIdentifierOwned> {
        Ok(self.algorithm.clone())
    }
}

impl signature::Signer<Sig> for CaSigner<'_> {
    fn try_sign(&self, msg: &[u8]) -> Result<Sig, signature::Error> {
        asymmetric::sign(self.key, self.scheme, msg).map(Sig).map_err(|_| signature::Error::new())
    }
}

impl EncodePublicKey for CaPublicKey {
    fn to_public_key_der(&self) -> spki::Result<Document> {
        Ok(Document::try_from(self.0.as_slice())?)
    }
}

impl SignatureBitStringEncoding for Sig {
    fn to_bitstring(&self) -> der::Result<BitString> {
        BitString::from_bytes(&self.0)
    }
}
