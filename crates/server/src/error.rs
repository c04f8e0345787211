//! What can keep the server from starting or stopping cleanly. Each message says which file or
//! setting is at fault, because the operator reading it has only the log.

use std::net::SocketAddr;
use std::path::PathBuf;

use keyward_store::StoreError;

use crate::config::ConfigError;
use crate::pki::PkiError;
use crate::tls::TlsError;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("{0}")]
    Pkcs11(String),
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),
    #[error("TLS: {0}")]
    Tls(#[from] TlsError),
    #[error("development PKI: {0}")]
    Pki(#[from] PkiError),
    #[error("cannot create the data directory {path}: {error}")]
    DataDir { path: PathBuf, error: std::io::Error },
    /// The KEK could not be had: the store's error says what and where (a missing file or one
    /// that others may read, an absent token, a wrong PIN).
    #[error(
        "{message}; the store in {data_dir} needs it (a new KEK could not open a store that exists: \
         restore the one it was used with)"
    )]
    KekUnavailable { message: String, data_dir: PathBuf },
    #[error(
        "the key-encryption key ({kek}) does not open the store in {data_dir}: it is not the KEK \
         this store was created with"
    )]
    WrongKek { kek: String, data_dir: PathBuf },
    #[error(
        "refusing to serve the store in {data_dir}: {what}. Run `keyward store verify \
         --data-dir {data_dir}` for every problem it has, then restore the data directory from a backup \
         (docs/operations/store.md); if you restored or repaired it on purpose and accept what it holds, \
         `keyward store verify --accept` records that"
    )]
    Damaged { data_dir: PathBuf, what: String },
    #[error("PKCS#11 PIN file {path}: {message}")]
    PinFile { path: PathBuf, message: String },
    #[error("store in {path}: {error}")]
    Store { path: PathBuf, error: StoreError },
    #[error(
        "the key-encryption key ({kek}) does not open the store in the database: it is not the KEK \
         that wraps the database's keyring (copy the KEK of the nodes already on it)"
    )]
    DatabaseWrongKek { kek: String },
    /// The KEK the database's keyring names could not be had (a missing version file, an absent
    /// token, a wrong PIN).
    #[error("{message}; the store in the database needs it (copy the KEK of the nodes already on it)")]
    DatabaseKekUnavailable { message: String },
    #[error(
        "the key-encryption key file {kek} is missing, but the database holds a store of other nodes: \
         copy their KEK file there (a new one could not open it)"
    )]
    DatabaseMissingKek { kek: PathBuf },
    #[error("store in the database: {0}")]
    Database(StoreError),
    #[error("cannot listen on {address}: {error}")]
    Bind { address: SocketAddr, error: std::io::Error },
    #[error("flushing the store at shutdown: {0}")]
    Flush(StoreError),
    #[error("reading the rotation policies from the store: {0}")]
    RotationPolicies(StoreError),
    #[error("audit trail: {0} (with [audit] fail_mode = \"closed\" the server does not run without its audit trail)")]
    Audit(String),
}
