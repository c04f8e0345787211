//! The development PKI: what lets `keyward serve` run with no configuration and a client connect
//! at once. On first use it creates, in `<data-dir>/pki/`:
//!
//! | file | what |
//! | --- | --- |
//! | `ca.pem`, `ca.key` | the development CA (ECDSA P-256), which signs everything below |
//! | `server-ecdsa.pem`, `server-ecdsa.key` | server certificate, ECDSA P-256 |
//! | `server-rsa.pem`, `server-rsa.key` | server certificate, RSA-2048, for clients without ECDSA |
//! | `clients/NAME.pem`, `clients/NAME.key` | client certificates; `admin` is made at once |
//!
//! Server certificates name `localhost`, `127.0.0.1` and `::1`. Client certificates carry the
//! client's name as their subject common name. Keys are PKCS#8 PEM, mode 0600. Nothing here is
//! meant for production: a real deployment names its own CA and server certificate.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, PKCS_RSA_SHA256, RsaKeySize, SanType,
};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use crate::config::ServerConfig;
use crate::config::issuing_ca::IssuingCaConfig;
use crate::files::{self, Access};
use keyward_client::pem::{self, PemError};

/// The client certificate made with the PKI, whose identity becomes an administrator.
pub const ADMIN: &str = "admin";

/// How long the development certificates are valid. Generous, because an expired development
/// PKI fails in confusing ways; delete a certificate to have it issued again.
const CA_VALIDITY_DAYS: i64 = 3650;
const LEAF_VALIDITY_DAYS: i64 = 825;

/// Why the development PKI could not be created or used.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("generating a certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("cannot read {path}: {error}")]
    Read { path: PathBuf, error: std::io::Error },
    #[error("cannot write {path}: {error}")]
    Write { path: PathBuf, error: std::io::Error },
    #[error(transparent)]
    Pem(#[from] PemError),
    #[error("{0} holds certificates but no development CA (ca.pem and ca.key); move it away to start afresh")]
    NoCa(PathBuf),
    #[error("{0:?} cannot name a client: use 1 to 64 letters, digits and . _ @ -, starting with a letter or digit")]
    InvalidName(String),
    #[error("{0} exists already; delete it (and its key) to issue it again")]
    Exists(PathBuf),
}

/// The layout of a development PKI directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DevPki {
    dir: PathBuf,
}

/// A certificate and the file of its private key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The development PKI as a server configuration adopted it.
#[derive(Clone, Debug)]
pub struct AdoptedPki {
    pub pki: DevPki,
    /// Whether any file was created at this start.
    pub created: bool,
    /// The identity of the `admin` certificate under the configured identity source, made an
    /// administrator; `None` when that source finds no identity in it.
    pub admin_identity: Option<String>,
}

impl DevPki {
    pub fn at(dir: impl Into<PathBuf>) -> DevPki {
        DevPki { dir: dir.into() }
    }

    /// The PKI of a data directory: `<data_dir>/pki`.
    pub fn of_data_dir(data_dir: &Path) -> DevPki {
        DevPki::at(data_dir.join("pki"))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn ca_cert(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    pub fn ca_key(&self) -> PathBuf {
        self.dir.join("ca.key")
    }

    pub fn ecdsa_server(&self) -> CertFiles {
        CertFiles { cert: self.dir.join("server-ecdsa.pem"), key: self.dir.join("server-ecdsa.key") }
    }

    pub fn rsa_server(&self) -> CertFiles {
        CertFiles { cert: self.dir.join("server-rsa.pem"), key: self.dir.join("server-rsa.key") }
    }

    pub fn client(&self, name: &str) -> CertFiles {
        let clients = self.dir.join("clients");
        CertFiles { cert: clients.join(format!("{name}.pem")), key: clients.join(format!("{name}.key")) }
    }

    /// Creates whatever is missing: the CA, then from it the two server certificates and the
    /// `admin` client. Returns whether anything was created. A directory with certificates but
    /// no CA is refused rather than overwritten.
    pub fn ensure(&self) -> Result<bool, PkiError> {
        let leaves = [
            (self.ecdsa_server(), Leaf::EcdsaServer),
            (self.rsa_server(), Leaf::RsaServer),
            (self.client(ADMIN), Leaf::Client(ADMIN)),
        ];
        let missing: Vec<_> = leaves.iter().filter(|(files, _)| !(files.cert.exists() && files.key.exists())).collect();
        let have_ca = self.ca_cert().exists() && self.ca_key().exists();
        if have_ca && missing.is_empty() {
            return Ok(false);
        }
        let issuer = if have_ca {
            self.load_ca()?
        } else if missing.len() < leaves.len() {
            return Err(PkiError::NoCa(self.dir.clone()));
        } else {
            self.create_ca()?
        };
        for (files, leaf) in missing {
            issue(&issuer, *leaf, files)?;
        }
        Ok(true)
    }

    /// Issues a new client certificate from the development CA (creating the PKI first when there
    /// is none). Refuses to replace an existing client.
    pub fn issue_client(&self, name: &str) -> Result<CertFiles, PkiError> {
        check_client_name(name)?;
        let files = self.client(name);
        if let Some(existing) = [&files.cert, &files.key].into_iter().find(|p| p.exists()) {
            return Err(PkiError::Exists(existing.clone()));
        }
        self.ensure()?;
        issue(&self.load_ca()?, Leaf::Client(name), &files)?;
        Ok(files)
    }

    /// Points the TLS settings of `config` at this PKI when it names no certificates of its own,
    /// creating the PKI if needed, makes the `admin` client an administrator, and, unless
    /// `[issuing_ca]` says otherwise, gives Certify a managed issuing CA.
    pub fn adopt(config: &mut ServerConfig) -> Result<Option<AdoptedPki>, PkiError> {
        if !config.tls.uses_dev_pki() {
            return Ok(None);
        }
        let pki = DevPki::of_data_dir(&config.data_dir);
        let created = pki.ensure()?;
        let (ecdsa, rsa) = (pki.ecdsa_server(), pki.rsa_server());
        config.tls.ca = Some(pki.ca_cert());
        config.tls.cert = Some(ecdsa.cert);
        config.tls.key = Some(ecdsa.key);
        config.tls.second_cert = Some(rsa.cert);
        config.tls.second_key = Some(rsa.key);
        config.issuing_ca.get_or_insert_with(IssuingCaConfig::managed);
        let admin = pem::certificates_from_file(&pki.client(ADMIN).cert)?;
        let admin_identity =
            admin.first().and_then(|der| config.identity.identify(der).ok()).map(|identity| identity.name);
        match &admin_identity {
            Some(name) if !config.administrators.contains(name) => config.administrators.push(name.clone()),
            Some(_) => {}
            None => {
                tracing::warn!(source = ?config.identity, "no identity in the development admin certificate")
            }
        }
        Ok(Some(AdoptedPki { pki, created, admin_identity }))
    }

    fn create_ca(&self) -> Result<Issuer<'static, KeyPair>, PkiError> {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let mut params = CertificateParams::default();
        // Each development CA gets a name of its own, so that two of them are never mistaken for
        // each other (a client of another data directory is then refused as "unknown issuer").
        let tag = hex::encode(&Sha256::digest(key.public_key_raw())[..4]);
        params.distinguished_name = name(&format!("Keyward development CA {tag}"));
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages =
            vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        set_validity(&mut params, CA_VALIDITY_DAYS);
        let certificate = params.self_signed(&key)?;
        // The key first: a CA certificate without its key would make `ensure` refuse the directory.
        write(&self.ca_key(), key.serialize_pem().as_bytes(), Access::Private)?;
        write(&self.ca_cert(), certificate.pem().as_bytes(), Access::Public)?;
        Ok(Issuer::new(params, key))
    }

    fn load_ca(&self) -> Result<Issuer<'static, KeyPair>, PkiError> {
        let read = |path: PathBuf| std::fs::read_to_string(&path).map_err(|error| PkiError::Read { path, error });
        let key_pem = zeroize::Zeroizing::new(read(self.ca_key())?);
        let key = KeyPair::from_pem(&key_pem)?;
        Ok(Issuer::from_ca_cert_pem(&read(self.ca_cert())?, key)?)
    }
}

/// What kind of certificate to issue.
#[derive(Clone, Copy, Debug)]
enum Leaf<'a> {
    EcdsaServer,
    RsaServer,
    Client(&'a str),
}

fn issue(issuer: &Issuer<'_, KeyPair>, leaf: Leaf<'_>, files: &CertFiles) -> Result<(), PkiError> {
    let mut params = CertificateParams::default();
    set_validity(&mut params, LEAF_VALIDITY_DAYS);
    params.use_authority_key_identifier_extension = true;
    let key = match leaf {
        Leaf::EcdsaServer | Leaf::RsaServer => {
            params.distinguished_name = name("localhost");
            params.subject_alt_names = vec![
                SanType::DnsName("localhost".try_into()?),
                SanType::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()),
                SanType::IpAddress(std::net::Ipv6Addr::LOCALHOST.into()),
            ];
            params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
            match leaf {
                Leaf::RsaServer => KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, RsaKeySize::_2048)?,
                _ => KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?,
            }
        }
        Leaf::Client(client) => {
            params.distinguished_name = name(client);
            params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
            KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?
        }
    };
    let certificate = params.signed_by(&key, issuer)?;
    write(&files.key, key.serialize_pem().as_bytes(), Access::Private)?;
    write(&files.cert, certificate.pem().as_bytes(), Access::Public)
}

fn name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::OrganizationName, "Keyward development PKI");
    name.push(DnType::CommonName, common_name);
    name
}

/// Valid from an hour ago (clocks differ) for `days` days.
fn set_validity(params: &mut CertificateParams, days: i64) {
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::hours(1);
    params.not_after = now + Duration::days(days);
}

fn write(path: &Path, contents: &[u8], access: Access) -> Result<(), PkiError> {
    files::write(path, contents, access).map_err(|error| PkiError::Write { path: path.into(), error })
}

/// A client name becomes a file name and a common name: keep it short and plain.
fn check_client_name(name: &str) -> Result<(), PkiError> {
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-');
    let valid = (1..=64).contains(&name.len())
        && name.chars().all(plain)
        && name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    if valid { Ok(()) } else { Err(PkiError::InvalidName(name.into())) }
}

/// The `[client]` section of a PyKMIP `pykmip.conf` for one client of this server.
pub fn pykmip_conf(host: &str, port: u16, ca: &Path, client: &CertFiles) -> String {
    format!(
        "[client]\n\
         host={host}\n\
         port={port}\n\
         certfile={}\n\
         keyfile={}\n\
         ca_certs={}\n\
         cert_reqs=CERT_REQUIRED\n\
         ssl_version=PROTOCOL_SSLv23\n\
         do_handshake_on_connect=True\n\
         suppress_ragged_eofs=True\n",
        absolute(&client.cert).display(),
        absolute(&client.key).display(),
        absolute(ca).display(),
    )
}

/// A path made absolute against the working directory, so that a pasted configuration works
/// from anywhere; left as it is when that fails.
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_the_whole_pki_once() {
        let dir = tempfile::tempdir().unwrap();
        let pki = DevPki::at(dir.path().join("pki"));
        assert!(pki.ensure().unwrap());
        for path in [pki.ca_cert(), pki.ca_key(), pki.ecdsa_server().cert, pki.rsa_server().key, pki.client(ADMIN).cert]
        {
            assert!(path.exists(), "{}", path.display());
        }
        let before = std::fs::read(pki.ca_cert()).unwrap();
        assert!(!pki.ensure().unwrap());
        assert_eq!(std::fs::read(pki.ca_cert()).unwrap(), before);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for key in [pki.ca_key(), pki.ecdsa_server().key, pki.rsa_server().key, pki.client(ADMIN).key] {
                assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600, "{}", key.display());
            }
        }
    }

    #[test]
    fn reissues_a_deleted_certificate_from_the_same_ca() {
        let dir = tempfile::tempdir().unwrap();
        let pki = DevPki::at(dir.path());
        pki.ensure().unwrap();
        let ca = std::fs::read(pki.ca_cert()).unwrap();
        std::fs::remove_file(pki.rsa_server().cert).unwrap();
        assert!(pki.ensure().unwrap());
        assert!(pki.rsa_server().cert.exists());
        assert_eq!(std::fs::read(pki.ca_cert()).unwrap(), ca);
    }

    #[test]
    fn refuses_certificates_without_their_ca() {
        let dir = tempfile::tempdir().unwrap();
        let pki = DevPki::at(dir.path());
        pki.ensure().unwrap();
        std::fs::remove_file(pki.ca_key()).unwrap();
        assert!(matches!(pki.ensure(), Err(PkiError::NoCa(_))));
    }

    #[test]
    fn issues_named_clients_once() {
        let dir = tempfile::tempdir().unwrap();
        let pki = DevPki::at(dir.path());
        let files = pki.issue_client("backup-01").unwrap();
        let der = pem::certificates_from_file(&files.cert).unwrap();
        let identity = crate::identity::IdentitySource::CommonName.identify(&der[0]).unwrap();
        assert_eq!(identity.name, "backup-01");
        assert!(matches!(pki.issue_client("backup-01"), Err(PkiError::Exists(_))));
        for bad in ["", "../etc", ".hidden", "a b", &"x".repeat(65)] {
            assert!(matches!(pki.issue_client(bad), Err(PkiError::InvalidName(_))), "{bad}");
        }
    }

    #[test]
    fn adopting_fills_the_tls_settings_and_the_administrators() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = ServerConfig { data_dir: dir.path().into(), ..ServerConfig::default() };
        let adopted = DevPki::adopt(&mut config).unwrap().unwrap();
        assert!(adopted.created);
        assert_eq!(adopted.admin_identity.as_deref(), Some(ADMIN));
        assert_eq!(config.administrators, [ADMIN]);
        assert!(config.tls.files().unwrap().second.is_some());
        // A configuration with certificates of its own is left alone.
        assert!(DevPki::adopt(&mut config).unwrap().is_none());
    }
}
