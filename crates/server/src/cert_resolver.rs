//! Serving an ECDSA and an RSA certificate side by side.
//!
//! KMIP clients range from current TLS 1.3 stacks to appliances whose TLS 1.2 code knows only
//! RSA, and PyKMIP's TLS 1.2 suite offers ECDHE with AES-GCM only for ECDSA. One certificate of
//! each type serves them all. rustls hands the resolver the signature schemes the client offered,
//! already narrowed to those usable with the cipher suites both sides share, so a certificate fits
//! when its key can sign with one of them.

use std::sync::Arc;

use rustls::SignatureAlgorithm;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

/// Picks the first certificate whose key can sign with a scheme the client offered.
#[derive(Debug)]
pub(crate) struct ByKeyType {
    /// In order of preference: ECDSA first (smaller, faster handshakes), then the others.
    certificates: Vec<Arc<CertifiedKey>>,
}

impl ByKeyType {
    /// At most one certificate per key type: a second one of the same type would never be chosen,
    /// which is a configuration mistake worth refusing.
    pub(crate) fn new(mut certificates: Vec<Arc<CertifiedKey>>) -> Result<ByKeyType, SignatureAlgorithm> {
        for (i, certificate) in certificates.iter().enumerate() {
            let algorithm = certificate.key.algorithm();
            if certificates[..i].iter().any(|earlier| earlier.key.algorithm() == algorithm) {
                return Err(algorithm);
            }
        }
        certificates.sort_by_key(|c| c.key.algorithm() != SignatureAlgorithm::ECDSA);
        Ok(ByKeyType { certificates })
    }
}

impl ResolvesServerCert for ByKeyType {
    fn resolve(&self, client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let offered = client_hello.signature_schemes();
        let chosen = self.certificates.iter().find(|c| c.key.choose_scheme(offered).is_some()).cloned();
        if chosen.is_none() {
            tracing::debug!(?offered, "no server certificate can sign with a scheme the client offered");
        }
        chosen
    }
}
