//! Reading certificates, private keys and revocation lists in PEM, from files or memory. Shared by
//! the server and the client.

use std::path::Path;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};
use zeroize::Zeroizing;

/// Why PEM material could not be read. `origin` names the file, or says it came from memory.
#[derive(Debug, thiserror::Error)]
pub enum PemError {
    #[error("cannot read {origin}: {error}")]
    Read { origin: String, error: std::io::Error },
    #[error("{origin}: not valid PEM: {error}")]
    Malformed { origin: String, error: String },
    #[error("{origin}: no {expected} found")]
    Empty { origin: String, expected: &'static str },
}

fn read(path: &Path) -> Result<Zeroizing<Vec<u8>>, PemError> {
    std::fs::read(path)
        .map(Zeroizing::new)
        .map_err(|error| PemError::Read { origin: path.display().to_string(), error })
}

/// Every certificate in a PEM file, in order.
pub fn certificates_from_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, PemError> {
    certificates(&read(path)?, &path.display().to_string())
}

/// Every certificate in PEM text, in order; `source` names it in errors.
pub fn certificates(pem: &[u8], source: &str) -> Result<Vec<CertificateDer<'static>>, PemError> {
    let malformed =
        |error: rustls::pki_types::pem::Error| PemError::Malformed { origin: source.into(), error: error.to_string() };
    let certificates = CertificateDer::pem_slice_iter(pem).collect::<Result<Vec<_>, _>>().map_err(malformed)?;
    if certificates.is_empty() {
        return Err(PemError::Empty { origin: source.into(), expected: "certificate" });
    }
    Ok(certificates)
}

/// The first private key in a PEM file (PKCS#8, PKCS#1 or SEC1).
pub fn private_key_from_file(path: &Path) -> Result<PrivateKeyDer<'static>, PemError> {
    private_key(&read(path)?, &path.display().to_string())
}

/// The first private key in PEM text.
pub fn private_key(pem: &[u8], source: &str) -> Result<PrivateKeyDer<'static>, PemError> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|error| match error {
        rustls::pki_types::pem::Error::NoItemsFound => {
            PemError::Empty { origin: source.into(), expected: "unencrypted private key" }
        }
        other => PemError::Malformed { origin: source.into(), error: other.to_string() },
    })
}

/// Every revocation list in a PEM file.
pub fn revocation_lists_from_file(path: &Path) -> Result<Vec<CertificateRevocationListDer<'static>>, PemError> {
    let source = path.display().to_string();
    let lists = CertificateRevocationListDer::pem_slice_iter(&read(path)?)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| PemError::Malformed { origin: source.clone(), error: error.to_string() })?;
    if lists.is_empty() {
        return Err(PemError::Empty { origin: source, expected: "certificate revocation list" });
    }
    Ok(lists)
}
