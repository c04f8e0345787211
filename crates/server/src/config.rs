//! The server's configuration: what `keyward.toml` holds, and the defaults `keyward serve` runs on
//! when there is no file. docs/configuration.md describes every setting.
//!
//! Unknown keys are refused everywhere: a misspelt setting silently ignored is how a key server
//! ends up running with a limit or a certificate its operator believes is different.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub mod access;
pub mod algorithms;
pub mod asynchronous;
pub mod audit;
pub mod cluster;
pub mod issuing_ca;
pub mod operation_policies;
pub mod rotation;
pub mod store;

pub use audit::{AuditConfig, FailMode};

use crate::identity::IdentitySource;
use crate::limits::LimitsConfig;

/// The port IANA assigned to KMIP over TLS.
pub const DEFAULT_PORT: u16 = 5696;

/// The port of the health and metrics listener when `[metrics]` names none.
pub const DEFAULT_METRICS_PORT: u16 = 9696;

/// The port of the KMIP-over-HTTPS listener when `[https]` names none: the one after KMIP's.
/// (The HTTPS profile allows 5696 only to a server that tells HTTP from TTLV on one port; Keyward
/// keeps the two apart.)
pub const DEFAULT_HTTPS_PORT: u16 = 5697;

/// Everything the server is configured with.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// The address and port to listen on. Loopback by default: serving the network is a decision
    /// to write down (`0.0.0.0:5696` or `[::]:5696`).
    pub listen: SocketAddr,
    /// Where the store, the KEK (by default) and the development PKI live.
    pub data_dir: PathBuf,
    /// The key-encryption key file; `<data_dir>/kek` when unset. Created on first start. The
    /// same as `[kek] file`.
    pub kek_file: Option<PathBuf>,
    /// Where the key-encryption key lives: a file (the default) or a PKCS#11 token.
    pub kek: KekConfig,
    /// How a client's identity is read from its certificate.
    pub identity: IdentitySource,
    /// Client identities that may manage every object, whoever owns it.
    pub administrators: Vec<String>,
    /// Tenants and roles (`[access]`); grants are managed through the management API.
    pub access: access::AccessConfig,
    /// The tracing filter (`info`, `keyward_server=debug,info`, ...); `RUST_LOG` overrides it.
    pub log_level: String,
    /// How log lines are written: `text` for people, `json` (one object a line) for collectors.
    pub log_format: LogFormat,
    /// Threads serving connections; one per core when unset.
    pub worker_threads: Option<usize>,
    /// The most memory the store's page cache may hold, in bytes (decrypted objects are cached
    /// apart from it).
    pub store_cache_size: u64,
    /// Seconds between snapshots of the sled store's Locate index while the server runs (0: only
    /// at a clean stop): a start after a crash reads the last one and the objects changed since.
    pub store_index_snapshot_interval: u64,
    /// Where objects are kept: sled in the data directory (default) or PostgreSQL.
    pub store: store::StoreConfig,
    /// What this node tells clients about its cluster (Query Server Information, KMIP 2.x).
    pub cluster: cluster::ClusterConfig,
    pub tls: TlsConfig,
    pub limits: LimitsConfig,
    /// KMIP over HTTPS: off without an `[https]` table, on with one.
    pub https: Option<HttpsConfig>,
    /// The plain-HTTP health and metrics listener: on by default, on loopback.
    pub metrics: MetricsConfig,
    /// The algorithms and key sizes the server makes keys of and protects data with.
    pub algorithms: algorithms::AlgorithmsConfig,
    /// The CA that signs certificates whose request names none (`[issuing_ca]`); without the
    /// table, a managed CA on the development PKI and none otherwise.
    pub issuing_ca: Option<issuing_ca::IssuingCaConfig>,
    /// Named operation policies (`[operation_policies.NAME]`) besides the built-in `default`.
    pub operation_policies: operation_policies::OperationPoliciesConfig,
    /// Which operations may be answered Operation Pending to a client that allows it.
    pub asynchronous: asynchronous::AsynchronousConfig,
    /// Automatic rotation: the scheduler's check interval and the configuration's policies.
    pub rotation: rotation::RotationConfig,
    /// The PKCS#11 module the server loads; off without a `[pkcs11]` table.
    pub pkcs11: Option<Pkcs11Config>,
    /// The tamper-evident audit trail: on by default, under `<data_dir>/audit`.
    pub audit: AuditConfig,
}

/// The `[pkcs11]` table: a PKCS#11 module (an HSM's library, SoftHSM2 in tests) the server loads
/// at start, refusing to start when it cannot. The KMIP PKCS#11 operation (2.0, 2.1) is relayed
/// to it (`keyward_core::pkcs11_relay` says what is relayed: library information only).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pkcs11Config {
    /// The module's shared library, e.g. /usr/lib/softhsm/libsofthsm2.so.
    pub module: PathBuf,
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, DEFAULT_PORT)),
            data_dir: PathBuf::from("./keyward-data"),
            kek_file: None,
            kek: KekConfig::default(),
            identity: IdentitySource::default(),
            administrators: Vec::new(),
            access: access::AccessConfig::default(),
            log_level: "info".into(),
            log_format: LogFormat::Text,
            worker_threads: None,
            store_cache_size: keyward_store::default_cache_capacity(),
            store_index_snapshot_interval: keyward_store::DEFAULT_INDEX_SNAPSHOT_INTERVAL.as_secs(),
            store: store::StoreConfig::default(),
            cluster: cluster::ClusterConfig::default(),
            tls: TlsConfig::default(),
            limits: LimitsConfig::default(),
            https: None,
            metrics: MetricsConfig::default(),
            algorithms: algorithms::AlgorithmsConfig::default(),
            pkcs11: None,
            issuing_ca: None,
            operation_policies: Default::default(),
            asynchronous: asynchronous::AsynchronousConfig::default(),
            rotation: rotation::RotationConfig::default(),
            audit: AuditConfig::default(),
        }
    }
}

/// Where the key-encryption key lives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KekSourceKind {
    /// A file of 64 hexadecimal characters, mode 0600 or stricter.
    #[default]
    File,
    /// A non-extractable AES key in a PKCS#11 token.
    Pkcs11,
}

/// The `[kek]` table.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KekConfig {
    pub source: KekSourceKind,
    /// `file`: the KEK file (rotated versions beside it, `<file>.v2`...); `<data_dir>/kek` when
    /// unset.
    pub file: Option<PathBuf>,
    /// `pkcs11`: the module (shared library) of the token.
    pub module: Option<PathBuf>,
    /// `pkcs11`: the label of the token.
    pub token_label: Option<String>,
    /// `pkcs11`: a file (mode 0600 or stricter) holding the user PIN.
    pub pin_file: Option<PathBuf>,
    /// `pkcs11`: the label of the KEK's keys in the token (their CKA_ID is the version).
    pub key_label: String,
}

impl Default for KekConfig {
    fn default() -> KekConfig {
        KekConfig {
            source: KekSourceKind::File,
            file: None,
            module: None,
            token_label: None,
            pin_file: None,
            key_label: "keyward-kek".into(),
        }
    }
}

impl KekConfig {
    fn validate(&self, kek_file: Option<&PathBuf>) -> Result<(), ConfigError> {
        if kek_file.is_some() && self.file.is_some() {
            return Err(ConfigError::Invalid("`kek_file` and `[kek] file` say the same thing: keep one".into()));
        }
        match self.source {
            KekSourceKind::File => {
                let pkcs11 = [
                    ("module", self.module.is_some()),
                    ("token_label", self.token_label.is_some()),
                    ("pin_file", self.pin_file.is_some()),
                ];
                if let Some((name, _)) = pkcs11.iter().find(|(_, given)| *given) {
                    return Err(ConfigError::Invalid(format!("kek: `{name}` is for source = \"pkcs11\"")));
                }
            }
            KekSourceKind::Pkcs11 => {
                if kek_file.is_some() || self.file.is_some() {
                    return Err(ConfigError::Invalid("kek: a KEK file is for source = \"file\"".into()));
                }
                let required = [
                    ("module", self.module.is_none()),
                    ("token_label", self.token_label.is_none()),
                    ("pin_file", self.pin_file.is_none()),
                ];
                if let Some((name, _)) = required.iter().find(|(_, missing)| *missing) {
                    return Err(ConfigError::Invalid(format!("kek: source = \"pkcs11\" needs `{name}`")));
                }
                if self.key_label.is_empty() {
                    return Err(ConfigError::Invalid("kek: `key_label` is empty".into()));
                }
            }
        }
        Ok(())
    }
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One line of text per event, for a person or a journal.
    #[default]
    Text,
    /// One JSON object per line, with the fields of the event and of its spans (the request id).
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = ConfigError;

    fn from_str(text: &str) -> Result<LogFormat, ConfigError> {
        match text {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(ConfigError::Invalid(format!("log_format: {other:?} is neither \"text\" nor \"json\""))),
        }
    }
}

/// The `[metrics]` table: a plain-HTTP listener (no TLS: it is on loopback unless the operator
/// says otherwise) with `/health`, `/ready` and `/metrics` (Prometheus).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Whether the listener runs, and the server counts for it.
    pub enabled: bool,
    /// The address and port to listen on; loopback port 9696 by default.
    pub listen: SocketAddr,
}

impl Default for MetricsConfig {
    fn default() -> MetricsConfig {
        MetricsConfig { enabled: true, listen: SocketAddr::from((Ipv4Addr::LOCALHOST, DEFAULT_METRICS_PORT)) }
    }
}

/// The `[https]` table: a second listener for KMIP over HTTPS (`POST /kmip`), with the TLS
/// settings, identities and limits of the first. Its presence turns it on, so an empty table
/// serves on the default address.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpsConfig {
    /// The address and port to listen on; loopback port 5697 by default.
    pub listen: SocketAddr,
}

impl Default for HttpsConfig {
    fn default() -> HttpsConfig {
        HttpsConfig { listen: SocketAddr::from((Ipv4Addr::LOCALHOST, DEFAULT_HTTPS_PORT)) }
    }
}

/// The certificates and keys of the TLS layer. With none of `ca`, `cert` and `key` set, the
/// server uses (and on first start creates) the development PKI in `<data_dir>/pki`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsConfig {
    /// PEM bundle of the CA certificates client certificates must chain to.
    pub ca: Option<PathBuf>,
    /// PEM certificate chain of the server, end-entity certificate first.
    pub cert: Option<PathBuf>,
    /// PEM private key of `cert` (PKCS#8, PKCS#1 or SEC1).
    pub key: Option<PathBuf>,
    /// A second chain with the other key type (ECDSA beside RSA or the reverse), served to clients
    /// that cannot use the first.
    pub second_cert: Option<PathBuf>,
    pub second_key: Option<PathBuf>,
    /// PEM certificate revocation lists checked against client certificates.
    pub crls: Vec<PathBuf>,
    /// How many TLS sessions the server remembers for resumption by session ID; 0 turns the
    /// cache off.
    pub session_cache_size: usize,
    /// Whether the server issues session tickets (stateless resumption).
    pub session_tickets: bool,
}

impl Default for TlsConfig {
    fn default() -> TlsConfig {
        TlsConfig {
            ca: None,
            cert: None,
            key: None,
            second_cert: None,
            second_key: None,
            crls: Vec::new(),
            session_cache_size: 4096,
            session_tickets: true,
        }
    }
}

/// The files of a complete TLS configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
    pub second: Option<(PathBuf, PathBuf)>,
}

impl TlsConfig {
    /// True when no certificate is configured: the development PKI stands in.
    pub fn uses_dev_pki(&self) -> bool {
        self.ca.is_none() && self.cert.is_none() && self.key.is_none()
    }

    /// The configured files, or an error naming what is missing.
    pub fn files(&self) -> Result<TlsFiles, ConfigError> {
        let (Some(ca), Some(cert), Some(key)) = (&self.ca, &self.cert, &self.key) else {
            return Err(ConfigError::Invalid(
                "tls: `ca`, `cert` and `key` (or --ca, --cert and --key) go together: set all three, \
                 or none of them for the development PKI"
                    .into(),
            ));
        };
        let second = match (&self.second_cert, &self.second_key) {
            (Some(cert), Some(key)) => Some((cert.clone(), key.clone())),
            (None, None) => None,
            _ => {
                return Err(ConfigError::Invalid("tls: `second_cert` and `second_key` go together".into()));
            }
        };
        Ok(TlsFiles { ca: ca.clone(), cert: cert.clone(), key: key.clone(), second })
    }
}

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: {source}")]
    Parse { path: PathBuf, source: Box<toml::de::Error> },
    #[error("{0}")]
    Invalid(String),
}

impl ServerConfig {
    /// Reads and checks a TOML configuration file.
    pub fn load(path: &Path) -> Result<ServerConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.into(), source })?;
        let config = ServerConfig::from_toml(&text).map_err(|error| match error {
            ConfigError::Parse { source, .. } => ConfigError::Parse { path: path.into(), source },
            other => other,
        })?;
        Ok(config)
    }

    /// Parses and checks a configuration given as TOML text.
    pub fn from_toml(text: &str) -> Result<ServerConfig, ConfigError> {
        let config: ServerConfig = toml::from_str(text)
            .map_err(|source| ConfigError::Parse { path: PathBuf::new(), source: Box::new(source) })?;
        config.validate()?;
        Ok(config)
    }

    /// The KEK file (of version 1; rotated versions are beside it): the configured one or
    /// `<data_dir>/kek`.
    pub fn kek_path(&self) -> PathBuf {
        self.kek.file.clone().or_else(|| self.kek_file.clone()).unwrap_or_else(|| self.data_dir.join("kek"))
    }

    /// Checks what the types cannot: settings that go together, and limits that make sense. Run
    /// again after command-line overrides.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !self.tls.uses_dev_pki() {
            self.tls.files()?;
        } else if self.tls.second_cert.is_some() || self.tls.second_key.is_some() {
            return Err(ConfigError::Invalid("tls: `second_cert` needs `ca`, `cert` and `key` as well".into()));
        }
        self.rotation.validate()?;
        self.audit.validate().map_err(ConfigError::Invalid)?;
        if self.worker_threads == Some(0) {
            return Err(ConfigError::Invalid("worker_threads must be at least 1".into()));
        }
        if let Some(empty) = self.administrators.iter().find(|a| a.trim().is_empty()) {
            return Err(ConfigError::Invalid(format!("administrators: {empty:?} is not an identity")));
        }
        // One port cannot carry both: the TTLV listener would read an HTTP request as a malformed
        // message. Said here in words rather than left to the second bind's "address in use".
        // (Port 0 asks for a free port, a different one for each listener.)
        if let Some(https) = &self.https
            && same_port(https.listen, self.listen)
        {
            return Err(ConfigError::Invalid(format!(
                "https: `listen` ({}) is the KMIP listener's address; give HTTPS a port of its own",
                https.listen
            )));
        }
        if self.metrics.enabled {
            let taken = std::iter::once(("KMIP", self.listen)).chain(self.https.iter().map(|h| ("HTTPS", h.listen)));
            for (listener, address) in taken {
                if same_port(self.metrics.listen, address) {
                    return Err(ConfigError::Invalid(format!(
                        "metrics: `listen` ({}) is the {listener} listener's address; give metrics a port of its own",
                        self.metrics.listen
                    )));
                }
            }
        }
        self.kek.validate(self.kek_file.as_ref())?;
        self.store.validate()?;
        self.cluster.validate()?;
        self.algorithms.policy()?;
        self.access.validate()?;
        operation_policies::policies(&self.operation_policies)?;
        if let Some(issuing_ca) = &self.issuing_ca {
            issuing_ca.validate()?;
        }
        self.asynchronous.policy()?;
        self.limits.validate()
    }
}

/// True when two listening addresses would collide. (Port 0 asks for a free port, a different one
/// for each listener.)
fn same_port(a: SocketAddr, b: SocketAddr) -> bool {
    a.port() == b.port() && a.port() != 0 && (a.ip() == b.ip() || a.ip().is_unspecified() || b.ip().is_unspecified())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn an_empty_file_is_the_defaults() {
        assert_eq!(ServerConfig::from_toml("").unwrap(), ServerConfig::default());
        let config = ServerConfig::default();
        assert_eq!(config.listen.port(), 5696);
        assert_eq!(config.kek_path(), Path::new("./keyward-data/kek"));
        assert!(config.tls.uses_dev_pki());
        assert_eq!(config.https, None, "HTTPS is off unless configured");
        assert!(config.metrics.enabled, "health and metrics are on by default");
        assert_eq!(config.metrics.listen, "127.0.0.1:9696".parse().unwrap());
        assert_eq!(config.log_format, LogFormat::Text);
    }

    #[test]
    fn reads_the_kek_table_and_refuses_settings_of_the_other_source() {
        let config = ServerConfig::from_toml("[kek]\nfile = \"/etc/keyward/kek\"").unwrap();
        assert_eq!((config.kek.source, config.kek_path()), (KekSourceKind::File, PathBuf::from("/etc/keyward/kek")));
        let config = ServerConfig::from_toml(
            "[kek]\nsource = \"pkcs11\"\nmodule = \"/usr/lib/softhsm/libsofthsm2.so\"\ntoken_label = \"keyward\"\n\
             pin_file = \"/etc/keyward/pin\"",
        )
        .unwrap();
        assert_eq!((config.kek.source, config.kek.key_label.as_str()), (KekSourceKind::Pkcs11, "keyward-kek"));
        for (text, says) in [
            ("[kek]\nsource = \"pkcs11\"\nmodule = \"/m.so\"\ntoken_label = \"t\"", "needs `pin_file`"),
            ("[kek]\nmodule = \"/m.so\"", "`module` is for source = \"pkcs11\""),
            ("kek_file = \"/a\"\n[kek]\nfile = \"/b\"", "keep one"),
            ("[kek]\nsource = \"hsm\"", "unknown variant"),
        ] {
            let error = ServerConfig::from_toml(text).unwrap_err().to_string();
            assert!(error.contains(says), "{text}: {error}");
        }
    }

    #[test]
    fn reads_the_metrics_table() {
        let config = ServerConfig::from_toml("[metrics]\nlisten = \"0.0.0.0:9100\"").unwrap();
        assert_eq!(config.metrics, MetricsConfig { enabled: true, listen: "0.0.0.0:9100".parse().unwrap() });
        let config = ServerConfig::from_toml("[metrics]\nenabled = false").unwrap();
        assert!(!config.metrics.enabled);
        assert_eq!(config.metrics.listen, MetricsConfig::default().listen);
        let error = ServerConfig::from_toml("[metrics]\nenabled = \"no\"").unwrap_err();
        assert!(error.to_string().contains("invalid type"), "{error}");
    }

    #[test]
    fn refuses_metrics_on_a_kmip_port() {
        let error = ServerConfig::from_toml("[metrics]\nlisten = \"127.0.0.1:5696\"").unwrap_err();
        assert!(error.to_string().contains("KMIP listener's address"), "{error}");
        let error =
            ServerConfig::from_toml("[https]\nlisten = \"0.0.0.0:8443\"\n[metrics]\nlisten = \"127.0.0.1:8443\"")
                .unwrap_err();
        assert!(error.to_string().contains("HTTPS listener's address"), "{error}");
        // Off, its address does not matter.
        assert!(ServerConfig::from_toml("[metrics]\nenabled = false\nlisten = \"127.0.0.1:5696\"").is_ok());
    }

    #[test]
    fn reads_the_log_format() {
        assert_eq!(ServerConfig::from_toml("log_format = \"json\"").unwrap().log_format, LogFormat::Json);
        assert_eq!(ServerConfig::from_toml("log_format = \"text\"").unwrap().log_format, LogFormat::Text);
        assert!(ServerConfig::from_toml("log_format = \"xml\"").is_err());
        assert_eq!("json".parse::<LogFormat>().unwrap(), LogFormat::Json);
        assert!("JSON ".parse::<LogFormat>().is_err());
    }

    #[test]
    fn an_https_table_turns_https_on() {
        let config = ServerConfig::from_toml("[https]").unwrap();
        assert_eq!(config.https.unwrap().listen, "127.0.0.1:5697".parse().unwrap());
        let config = ServerConfig::from_toml("[https]\nlisten = \"[::]:8443\"").unwrap();
        assert_eq!(config.https.unwrap().listen, "[::]:8443".parse().unwrap());
    }

    #[test]
    fn refuses_https_on_the_kmip_port() {
        let error =
            ServerConfig::from_toml("listen = \"0.0.0.0:5696\"\n[https]\nlisten = \"0.0.0.0:5696\"").unwrap_err();
        assert!(error.to_string().contains("port of its own"), "{error}");
        assert!(ServerConfig::from_toml("listen = \"127.0.0.1:0\"\n[https]\nlisten = \"127.0.0.1:0\"").is_ok());
    }

    #[test]
    fn reads_a_full_file() {
        let config = ServerConfig::from_toml(
            r#"
            listen = "0.0.0.0:5697"
            data_dir = "/var/lib/keyward"
            kek_file = "/etc/keyward/kek"
            identity = "san-email"
            administrators = ["ops@example.com"]
            log_level = "debug"
            store_cache_size = 268435456

            [tls]
            ca = "/etc/keyward/clients-ca.pem"
            cert = "/etc/keyward/server-ecdsa.pem"
            key = "/etc/keyward/server-ecdsa.key"
            second_cert = "/etc/keyward/server-rsa.pem"
            second_key = "/etc/keyward/server-rsa.key"
            crls = ["/etc/keyward/clients.crl"]
            session_cache_size = 0
            session_tickets = false

            [limits]
            max_message_size = 65536
            max_connections = 10
            read_timeout = "2s"
            idle_timeout = "10m"
            handshake_timeout = 5
            "#,
        )
        .unwrap();
        assert_eq!(config.listen, "0.0.0.0:5697".parse().unwrap());
        assert_eq!(config.identity, IdentitySource::SanEmail);
        assert_eq!(config.kek_path(), Path::new("/etc/keyward/kek"));
        assert_eq!(config.store_cache_size, 256 * 1024 * 1024);
        let files = config.tls.files().unwrap();
        assert_eq!(files.second.unwrap().0, Path::new("/etc/keyward/server-rsa.pem"));
        assert_eq!(config.limits.max_connections, 10);
        assert_eq!(config.limits.read_timeout, Duration::from_secs(2));
        assert_eq!(config.limits.idle_timeout, Duration::from_secs(600));
        assert_eq!(config.limits.handshake_timeout, Duration::from_secs(5));
        assert_eq!(config.limits.write_timeout, LimitsConfig::default().write_timeout);
    }

    #[test]
    fn refuses_unknown_keys_at_every_level() {
        for text in [
            "listne = \"0.0.0.0:1\"",
            "[tls]\ncert_file = \"x\"",
            "[limits]\nmax_conections = 3",
            "[https]\nlisten_on = \"127.0.0.1:5697\"",
            "[metrics]\nport = 9696",
            "log_fromat = \"json\"",
        ] {
            let error = ServerConfig::from_toml(text).unwrap_err();
            assert!(error.to_string().contains("unknown field"), "{text}: {error}");
        }
    }

    #[test]
    fn refuses_incomplete_tls_settings() {
        let error = ServerConfig::from_toml("[tls]\ncert = \"a.pem\"\nkey = \"a.key\"").unwrap_err();
        assert!(error.to_string().contains("go together"), "{error}");
        let error = ServerConfig::from_toml("[tls]\nsecond_cert = \"b.pem\"\nsecond_key = \"b.key\"").unwrap_err();
        assert!(error.to_string().contains("second_cert"), "{error}");
    }

    #[test]
    fn refuses_an_empty_administrator() {
        assert!(ServerConfig::from_toml("administrators = [\" \"]").is_err());
    }
}
