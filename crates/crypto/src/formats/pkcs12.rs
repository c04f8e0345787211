//! PKCS#12 containers (RFC 7292), the Key Format Type PKCS#12 of KMIP 1.4 and 2.x: a private key
//! with its certificate chain, protected by a password.
//!
//! Written with PBES2 (PBKDF2 with HMAC-SHA256, AES-256-CBC) for the key and certificate bags and
//! an HMAC-SHA256 integrity MAC, what OpenSSL 3 and Java write by default; read in those and in
//! the legacy PBES1 schemes (3DES, RC2) of older tools. The container work is p12-keystore's; this
//! module chooses what goes in and which key and chain come out.

use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, Pkcs12Archive, PrivateKey, PrivateKeyChain};
use sha1::{Digest, Sha1};
use zeroize::Zeroizing;

use crate::{CryptoError, CryptoResult};

/// Key derivation iterations for the bags and the MAC: the count OpenSSL 3 and Java use.
const ITERATIONS: u32 = 10_000;

/// What a container holds for one private key.
pub struct Pkcs12Contents {
    /// The friendly name (alias) of the private key's bag, if it had one.
    pub friendly_name: Option<String>,
    /// The private key, PKCS#8 DER.
    pub private_key: Zeroizing<Vec<u8>>,
    /// The certificate of the key first, then each issuer found in the container (DER).
    pub chain: Vec<Vec<u8>>,
}

impl std::fmt::Debug for Pkcs12Contents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs12Contents")
            .field("friendly_name", &self.friendly_name)
            .field("private_key", &"<PKCS#8>")
            .field("chain", &self.chain.len())
            .finish()
    }
}

/// A container of the PKCS#8 `private_key` under `friendly_name`, with `chain` (the key's own
/// certificate first, then its issuers), protected by `password`.
pub fn write_pkcs12(
    private_key: &[u8],
    chain: &[Vec<u8>],
    friendly_name: &str,
    password: &str,
) -> CryptoResult<Vec<u8>> {
    let key =
        PrivateKey::from_der(private_key).map_err(|_| CryptoError::InvalidKey("not a PKCS#8 private key".into()))?;
    let certificates = chain
        .iter()
        .map(|der| Certificate::from_der(der).map_err(|e| CryptoError::InvalidInput(format!("a certificate: {e}"))))
        .collect::<CryptoResult<Vec<_>>>()?;
    // The local key ID ties the key bag to its certificate's bag (RFC 7292 §4.2); the SHA-1 of
    // the certificate is what OpenSSL uses, the key's own digest when there is no certificate.
    let local_key_id = Sha1::digest(chain.first().map_or(private_key, Vec::as_slice)).to_vec();
    let mut store = KeyStore::new();
    store.add_entry(
        friendly_name,
        KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(local_key_id, key, certificates)),
    );
    store
        .writer(password)
        .encryption_iterations(ITERATIONS)
        .mac_iterations(ITERATIONS)
        .write()
        .map_err(|e| CryptoError::Failed(format!("PKCS#12: {e}")))
}

/// The private key of a container opened with `password`: the one whose friendly name is
/// `friendly_name` (compared ignoring case, RFC 7292's caseIgnoreMatch) or, without a name, the
/// first; with its certificate (by local key ID) and that certificate's issuers in the container.
/// A wrong password fails the MAC (or the decryption of a container without one): Verification
/// Failed.
pub fn read_pkcs12(container: &[u8], password: &str, friendly_name: Option<&str>) -> CryptoResult<Pkcs12Contents> {
    let archive = Pkcs12Archive::from_pkcs12(container, password).map_err(read_error)?;
    let key = match friendly_name {
        Some(name) => archive
            .keys
            .iter()
            .find(|k| k.friendly_name.as_deref().is_some_and(|f| f.eq_ignore_ascii_case(name)))
            .ok_or_else(|| CryptoError::InvalidInput(format!("PKCS#12: no private key named {name:?}")))?,
        None => archive.keys.first().ok_or_else(|| CryptoError::InvalidInput("PKCS#12: no private key".into()))?,
    };
    let mut chain: Vec<&Certificate> = Vec::new();
    let leaf = key
        .local_key_id
        .as_ref()
        .and_then(|id| archive.certs.iter().find(|c| c.local_key_id.as_deref() == Some(id.as_ref())).map(|c| &c.cert));
    if let Some(mut current) = leaf {
        chain.push(current);
        // Issuers by name, stopping at a self-signed certificate or one seen already.
        while current.issuer() != current.subject() {
            let Some(issuer) = archive.certs.iter().map(|c| &c.cert).find(|c| c.subject() == current.issuer()) else {
                break;
            };
            if chain.contains(&issuer) {
                break;
            }
            chain.push(issuer);
            current = issuer;
        }
    }
    Ok(Pkcs12Contents {
        friendly_name: key.friendly_name.clone(),
        private_key: Zeroizing::new(key.key.as_der().to_vec()),
        chain: chain.into_iter().map(|c| c.as_der().to_vec()).collect(),
    })
}

fn read_error(error: p12_keystore::error::Error) -> CryptoError {
    use p12_keystore::error::Error;
    match error {
        // The MAC, or without one the padding of the decrypted bags, is where a wrong password
        // shows.
        Error::MacError(_) | Error::UnpadError => CryptoError::VerificationFailed,
        other => CryptoError::InvalidInput(format!("PKCS#12: {other}")),
    }
}

#[cfg(test)]
#[path = "pkcs12_tests.rs"]
mod tests;
