//! TLS to the database: rustls (with the aws-lc-rs provider the server uses), the database
//! server's certificate checked against the CA certificates the configuration names, and its name
//! against the host of the URL. With a CA given, TLS is required: a server that does not offer it
//! is refused, never talked to in clear.

use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::{StoreError, StoreResult};

/// The connector that trusts the CA certificates in `ca_pem` (PEM, one or more).
pub(super) fn connector(ca_pem: &[u8]) -> StoreResult<MakeRustlsConnect> {
    let invalid = |what: String| StoreError::Backend(format!("the database's CA certificates: {what}"));
    let certificates =
        CertificateDer::pem_slice_iter(ca_pem).collect::<Result<Vec<_>, _>>().map_err(|e| invalid(e.to_string()))?;
    if certificates.is_empty() {
        return Err(invalid("no certificate in the file".into()));
    }
    let mut roots = rustls::RootCertStore::empty();
    for certificate in certificates {
        roots.add(certificate).map_err(|e| invalid(e.to_string()))?;
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}
