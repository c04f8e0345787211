//! Certificate chain validation with `rustls-webpki` (path building, signatures with aws-lc-rs,
//! validity periods, basic constraints, name constraints), plus the checks webpki leaves to the
//! caller for the trust anchor: the root's own validity period and, when it is self-signed, its
//! signature.

use std::time::Duration;

use rustls_pki_types::{CertificateDer, SignatureVerificationAlgorithm, UnixTime};
use webpki::{EndEntityCert, ExtendedKeyUsageValidator, KeyPurposeIdIter};

use super::parse;
use crate::{CryptoError, CryptoResult};

/// The outcome of a validation, in the terms of KMIP's Validity Indicator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainValidity {
    Valid,
    /// The chain is wrong: a signature does not verify, a certificate is outside its validity
    /// period, an issuer is missing or not a CA. The reason is for logs.
    Invalid(String),
    /// The chain uses something this crate cannot check (an unsupported signature algorithm).
    Unknown(String),
}

/// The signature algorithms webpki may use, all on aws-lc-rs.
static ALGORITHMS: &[&dyn SignatureVerificationAlgorithm] = &[
    webpki::aws_lc_rs::ECDSA_P256_SHA256,
    webpki::aws_lc_rs::ECDSA_P256_SHA384,
    webpki::aws_lc_rs::ECDSA_P256_SHA512,
    webpki::aws_lc_rs::ECDSA_P384_SHA256,
    webpki::aws_lc_rs::ECDSA_P384_SHA384,
    webpki::aws_lc_rs::ECDSA_P384_SHA512,
    webpki::aws_lc_rs::ECDSA_P521_SHA256,
    webpki::aws_lc_rs::ECDSA_P521_SHA384,
    webpki::aws_lc_rs::ECDSA_P521_SHA512,
    webpki::aws_lc_rs::ED25519,
    webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA256,
    webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA384,
    webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA512,
    webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA256_ABSENT_PARAMS,
    webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA384_ABSENT_PARAMS,
    webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA512_ABSENT_PARAMS,
    webpki::aws_lc_rs::RSA_PKCS1_3072_8192_SHA384,
    webpki::aws_lc_rs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
    webpki::aws_lc_rs::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
    webpki::aws_lc_rs::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
];

/// KMIP's Validate names no purpose, so any extended key usage is acceptable (webpki still
/// checks the extension is well formed).
struct AnyUsage;

impl ExtendedKeyUsageValidator for AnyUsage {
    fn validate(&self, iter: KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        for id in iter {
            id?;
        }
        Ok(())
    }
}

/// Validates `chain`, ordered leaf first and root (the trust anchor) last, at `at` (seconds since
/// the Unix epoch). The leaf must be an end-entity certificate, except that a single self-signed
/// certificate is its own anchor. Malformed input is an error; a chain that parses but does not
/// hold is `Ok(Invalid)`.
pub fn validate_chain(chain: &[&[u8]], at: i64) -> CryptoResult<ChainValidity> {
    let ders: Vec<Vec<u8>> = chain.iter().map(|c| parse::certificate_der(c)).collect::<CryptoResult<_>>()?;
    let (leaf, root) = match (ders.first(), ders.last()) {
        (Some(leaf), Some(root)) => (leaf, root),
        _ => return Err(CryptoError::input("an empty certificate chain")),
    };
    let at_secs = u64::try_from(at).map_err(|_| CryptoError::input("a validation time before 1970"))?;

    // The anchor: webpki trusts it as given, so check its period and self-signature here.
    let root_cert = parse::parse(root)?;
    let validity = root_cert.validity();
    if at < validity.not_before.timestamp() || at > validity.not_after.timestamp() {
        return Ok(ChainValidity::Invalid("the root certificate is outside its validity period".into()));
    }
    if root_cert.subject().as_raw() == root_cert.issuer().as_raw() {
        let tbs: &[u8] = root_cert.tbs_certificate.as_ref();
        match parse::verify_signed(
            root_cert.public_key().raw,
            &root_cert.signature_algorithm,
            tbs,
            &root_cert.signature_value.data,
        ) {
            Ok(()) => {}
            Err(CryptoError::Unsupported(why)) => return Ok(ChainValidity::Unknown(why)),
            Err(_) => return Ok(ChainValidity::Invalid("the root's self-signature does not verify".into())),
        }
    }

    if ders.len() == 1 {
        // A lone certificate: valid if it is a self-signed root that passed the checks above
        // (webpki takes no CA certificate as an end entity).
        return Ok(if root_cert.subject().as_raw() == root_cert.issuer().as_raw() {
            ChainValidity::Valid
        } else {
            ChainValidity::Unknown("a lone certificate that is not self-signed has no trust anchor".into())
        });
    }

    let root_der = CertificateDer::from(root.as_slice());
    let anchor = match webpki::anchor_from_trusted_cert(&root_der) {
        Ok(a) => a,
        Err(e) => return Ok(ChainValidity::Invalid(format!("the root cannot be an anchor: {e}"))),
    };
    let leaf_der = CertificateDer::from(leaf.as_slice());
    let end_entity = match EndEntityCert::try_from(&leaf_der) {
        Ok(ee) => ee,
        Err(e) => return Ok(ChainValidity::Invalid(format!("the leaf certificate: {e}"))),
    };
    let middle = if ders.len() > 2 { &ders[1..ders.len() - 1] } else { &[][..] };
    let intermediates: Vec<CertificateDer<'_>> = middle.iter().map(|d| CertificateDer::from(d.as_slice())).collect();
    let time = UnixTime::since_unix_epoch(Duration::from_secs(at_secs));
    match end_entity.verify_for_usage(ALGORITHMS, &[anchor], &intermediates, time, AnyUsage, None, None) {
        Ok(_) => Ok(ChainValidity::Valid),
        Err(
            e @ (webpki::Error::UnsupportedSignatureAlgorithmContext(_)
            | webpki::Error::UnsupportedSignatureAlgorithmForPublicKeyContext(_)),
        ) => Ok(ChainValidity::Unknown(format!("{e}"))),
        Err(e) => Ok(ChainValidity::Invalid(format!("{e}"))),
    }
}
