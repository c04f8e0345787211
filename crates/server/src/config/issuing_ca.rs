//! The `[issuing_ca]` table of keyward.toml: the CA that signs Certify and Re-certify requests
//! which name no CA with a Parent Link. The policy itself is keyward-core's ([`IssuingCa`]).
//!
//! ```toml
//! [issuing_ca]
//! mode = "managed"          # a CA the server makes on first use and keeps in its store
//! # mode = "files"          # an operator's CA:
//! # cert = "/etc/keyward/issuing-ca.pem"
//! # key = "/etc/keyward/issuing-ca.key"   (PKCS#8 PEM)
//! # mode = "none"           # clients must name a CA
//! ```
//!
//! Without the table, the development setup (no TLS certificate configured: `DevPki::adopt`) gets
//! a managed CA, and a configured server none: an operator decides which CA a production server
//! signs with.

use std::path::PathBuf;

use keyward_client::pem;
use keyward_core::IssuingCa;
use rustls::pki_types::PrivateKeyDer;
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::config::ConfigError;

/// Which CA.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IssuingCaMode {
    None,
    Managed,
    Files,
}

/// The table as written.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuingCaConfig {
    pub mode: IssuingCaMode,
    /// The CA certificate (PEM), with `mode = "files"`.
    pub cert: Option<PathBuf>,
    /// The CA private key (PKCS#8 PEM), with `mode = "files"`.
    pub key: Option<PathBuf>,
}

impl IssuingCaConfig {
    /// `mode = "managed"`.
    pub fn managed() -> IssuingCaConfig {
        IssuingCaConfig { mode: IssuingCaMode::Managed, cert: None, key: None }
    }

    /// Checks what the types cannot: files exactly with `mode = "files"`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let files = self.cert.is_some() || self.key.is_some();
        match self.mode {
            IssuingCaMode::Files if self.cert.is_none() || self.key.is_none() => {
                Err(invalid("mode = \"files\" needs both `cert` and `key`"))
            }
            IssuingCaMode::None | IssuingCaMode::Managed if files => {
                Err(invalid("`cert` and `key` go with mode = \"files\""))
            }
            _ => Ok(()),
        }
    }
}

/// The policy a table (or its absence: no issuing CA) describes.
pub fn policy(config: Option<&IssuingCaConfig>) -> Result<IssuingCa, ConfigError> {
    let Some(config) = config else {
        return Ok(IssuingCa::None);
    };
    config.validate()?;
    Ok(match (config.mode, &config.cert, &config.key) {
        (IssuingCaMode::None, ..) => IssuingCa::None,
        (IssuingCaMode::Managed, ..) => IssuingCa::Managed,
        (IssuingCaMode::Files, Some(cert), Some(key)) => {
            let certificate = pem::certificates_from_file(cert)
                .map_err(|e| invalid(format!("cert: {e}")))?
                .into_iter()
                .next()
                .ok_or_else(|| invalid(format!("cert: no certificate in {}", cert.display())))?;
            let private_key = match pem::private_key_from_file(key).map_err(|e| invalid(format!("key: {e}")))? {
                PrivateKeyDer::Pkcs8(der) => Zeroizing::new(der.secret_pkcs8_der().to_vec()),
                _ => return Err(invalid(format!("key: {} is not a PKCS#8 key (BEGIN PRIVATE KEY)", key.display()))),
            };
            IssuingCa::Configured { certificate: certificate.as_ref().to_vec(), private_key }
        }
        (IssuingCaMode::Files, ..) => return Err(invalid("mode = \"files\" needs both `cert` and `key`")),
    })
}

fn invalid(why: impl std::fmt::Display) -> ConfigError {
    ConfigError::Invalid(format!("issuing_ca: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ServerConfig;

    #[test]
    fn the_default_follows_the_development_setup() {
        assert!(matches!(policy(None).unwrap(), IssuingCa::None));
        let dir = tempfile::tempdir().unwrap();
        let mut config = ServerConfig { data_dir: dir.path().join("data"), ..ServerConfig::default() };
        crate::pki::DevPki::adopt(&mut config).unwrap();
        assert!(matches!(policy(config.issuing_ca.as_ref()).unwrap(), IssuingCa::Managed));
        // A table of the operator's stands, on the development PKI too.
        let mut config = ServerConfig::from_toml("[issuing_ca]\nmode = \"none\"\n").unwrap();
        config.data_dir = dir.path().join("other");
        crate::pki::DevPki::adopt(&mut config).unwrap();
        assert!(matches!(policy(config.issuing_ca.as_ref()).unwrap(), IssuingCa::None));
    }

    #[test]
    fn the_table_is_read_and_checked() {
        let config = ServerConfig::from_toml("[issuing_ca]\nmode = \"managed\"\n").unwrap();
        assert!(matches!(policy(config.issuing_ca.as_ref()).unwrap(), IssuingCa::Managed));
        assert!(ServerConfig::from_toml("[issuing_ca]\nmode = \"files\"\ncert = \"ca.pem\"\n").is_err());
        assert!(ServerConfig::from_toml("[issuing_ca]\nmode = \"none\"\nkey = \"ca.key\"\n").is_err());
        assert!(ServerConfig::from_toml("[issuing_ca]\nmode = \"other\"\n").is_err());
    }

    #[test]
    fn files_are_read_as_der() {
        let dir = tempfile::tempdir().unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let certificate = params.self_signed(&key).unwrap();
        std::fs::write(dir.path().join("ca.pem"), certificate.pem()).unwrap();
        std::fs::write(dir.path().join("ca.key"), key.serialize_pem()).unwrap();
        let config = IssuingCaConfig {
            mode: IssuingCaMode::Files,
            cert: Some(dir.path().join("ca.pem")),
            key: Some(dir.path().join("ca.key")),
        };
        match policy(Some(&config)).unwrap() {
            IssuingCa::Configured { certificate: der, private_key } => {
                assert_eq!(der, certificate.der().to_vec());
                assert_eq!(private_key.as_slice(), key.serialize_der());
            }
            other => panic!("{other:?}"),
        }
    }
}
