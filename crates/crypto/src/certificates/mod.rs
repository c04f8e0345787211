//! X.509 certificates.
//!
//! - [`describe_certificate`]: parse a certificate (DER or PEM, with `x509-parser`) into a
//!   [`CertificateInfo`]: length, serial number, subject and issuer ([`DistinguishedName`], DER and
//!   attributes), alternative names, validity, signature algorithm, public key.
//! - [`issue_certificate`]: KMIP Certify, from a public key or a PKCS#10 request
//!   ([`verify_csr`] checks its self-signature), signed by a CA certificate and key, built with
//!   `x509-cert`.
//! - [`validate_chain`]: KMIP Validate, with `rustls-webpki` (leaf to root, signatures, validity,
//!   CA constraints) and our own checks of the root.

mod chain;
mod issue;
mod name;
mod parse;

pub use chain::{ChainValidity, validate_chain};
pub use issue::{CertificateRequest, CsrInfo, Issuer, SubjectKey, issue_certificate, self_signed_ca, verify_csr};
pub use name::{DistinguishedName, NameAttribute, NameEntry};
pub use parse::{CertificateInfo, CertificateSignatureAlgorithm, GeneralName, certificate_der, describe_certificate};

#[cfg(test)]
mod tests;
