//! The server's TLS configuration: aws-lc-rs, TLS 1.3 and TLS 1.2 with ECDHE and AES-GCM only,
//! a client certificate required and verified against the configured CAs (and revocation lists),
//! one or two server certificates, and session resumption by cache and by ticket.

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::server::{NoServerSessionStorage, ServerSessionMemoryCache, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::{CipherSuite, RootCertStore, SupportedCipherSuite};

use crate::cert_resolver::ByKeyType;
use crate::config::{TlsConfig, TlsFiles};
use keyward_client::pem::{self, PemError};

/// The TLS 1.2 suites offered: forward secrecy (ECDHE) and an AEAD the KMIP profiles name
/// (AES-GCM). TLS 1.3 suites all qualify.
const TLS12_SUITES: [CipherSuite; 4] = [
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
];

/// Why the TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error(transparent)]
    Pem(#[from] PemError),
    #[error("{what}: {error}")]
    Rustls { what: String, error: rustls::Error },
    #[error("client certificate verification: {0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),
    #[error("the two server certificates both have {0:?} keys; the second must be of the other type")]
    SameKeyType(rustls::SignatureAlgorithm),
}

/// aws-lc-rs with the cipher suites narrowed as described above.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    let mut provider = rustls::crypto::aws_lc_rs::default_provider();
    provider.cipher_suites.retain(|suite| match suite {
        SupportedCipherSuite::Tls13(_) => true,
        SupportedCipherSuite::Tls12(_) => TLS12_SUITES.contains(&suite.suite()),
    });
    Arc::new(provider)
}

/// Builds the rustls server configuration from the files and TLS settings.
/// `tenant_roots` are the tenants' client CAs (`[[access.tenants]]`), trusted besides `ca`.
pub(crate) fn server_config(
    files: &TlsFiles,
    settings: &TlsConfig,
    tenant_roots: &[rustls::pki_types::CertificateDer<'static>],
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let provider = crypto_provider();
    let verifier = client_verifier(files, settings, tenant_roots, &provider)?;
    let mut certificates = vec![certified_key(&files.cert, &files.key, &provider)?];
    if let Some((cert, key)) = &files.second {
        certificates.push(certified_key(cert, key, &provider)?);
    }
    let resolver = ByKeyType::new(certificates).map_err(TlsError::SameKeyType)?;

    let mut config = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|error| TlsError::Rustls { what: "protocol versions".into(), error })?
        .with_client_cert_verifier(verifier)
        .with_cert_resolver(Arc::new(resolver));
    config.session_storage = if settings.session_cache_size > 0 {
        ServerSessionMemoryCache::new(settings.session_cache_size)
    } else {
        Arc::new(NoServerSessionStorage {})
    };
    if settings.session_tickets {
        // The ticketer rotates its key by itself; tickets do not survive a restart.
        config.ticketer = rustls::crypto::aws_lc_rs::Ticketer::new()
            .map_err(|error| TlsError::Rustls { what: "session tickets".into(), error })?;
    }
    Ok(Arc::new(config))
}

/// The same configuration, announcing `protocols` in ALPN. The copy shares the original's session
/// cache and ticket key: a session is bound to a verified client certificate, whichever listener
/// it was made on.
pub(crate) fn with_alpn(config: &Arc<rustls::ServerConfig>, protocols: &[&[u8]]) -> Arc<rustls::ServerConfig> {
    let mut config = rustls::ServerConfig::clone(config);
    config.alpn_protocols = protocols.iter().map(|protocol| protocol.to_vec()).collect();
    Arc::new(config)
}

fn client_verifier(
    files: &TlsFiles,
    settings: &TlsConfig,
    tenant_roots: &[rustls::pki_types::CertificateDer<'static>],
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<dyn rustls::server::danger::ClientCertVerifier>, TlsError> {
    let mut roots = RootCertStore::empty();
    for certificate in tenant_roots {
        roots
            .add(certificate.clone())
            .map_err(|error| TlsError::Rustls { what: "a tenant's CA certificate".into(), error })?;
    }
    for certificate in pem::certificates_from_file(&files.ca)? {
        roots
            .add(certificate)
            .map_err(|error| TlsError::Rustls { what: format!("CA certificate in {}", files.ca.display()), error })?;
    }
    let mut builder = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), Arc::clone(provider));
    if !settings.crls.is_empty() {
        let mut lists = Vec::new();
        for path in &settings.crls {
            lists.extend(pem::revocation_lists_from_file(path)?);
        }
        // Revocation is checked for the client's own certificate; a client from a CA without a
        // list is not refused for that, so that one CA's list does not lock out another's clients.
        builder = builder.with_crls(lists).only_check_end_entity_revocation().allow_unknown_revocation_status();
    }
    Ok(builder.build()?)
}

/// A certificate chain with its key, checked to belong together.
fn certified_key(
    cert: &std::path::Path,
    key: &std::path::Path,
    provider: &CryptoProvider,
) -> Result<Arc<CertifiedKey>, TlsError> {
    let chain = pem::certificates_from_file(cert)?;
    let private_key = pem::private_key_from_file(key)?;
    CertifiedKey::from_der(chain, private_key, provider)
        .map(Arc::new)
        .map_err(|error| TlsError::Rustls { what: format!("{} with {}", cert.display(), key.display()), error })
}
