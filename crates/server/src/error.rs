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
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),
    #[error("TLS: {0}")]
    Tls(#[from] TlsError),
    #[error("development PKI: {0}")]
    Pki(#[from] PkiError),
    #[error("cannot create the data directory {path}: {error}")]
    DataDir { path: PathBuf, error: std::io::Error },
    #[error("key-encryption key {path}: {error}")]
    Kek { path: PathBuf, error: StoreError },
    #[error(
        "the key-encryption key file {kek} is missing, but {data_dir} holds a store: restore the KEK \
         that was used with it (a new one could not open it)"
    )]
    MissingKek { kek: PathBuf, data_dir: PathBuf },
    #[error(
        "the key-encryption key in {kek} does not open the store in {data_dir}: it is not the KEK \
         this store was created with"
    )]
    WrongKek { kek: PathBuf, data_dir: PathBuf },
    #[error("store in {path}: {error}")]
    Store { path: PathBuf, error: StoreError },
    #[error(
        "the key-encryption key in {kek} does not open the store in the database: it is not the KEK \
         the database's first node created it with (copy that node's KEK file)"
    )]
    DatabaseWrongKek { kek: PathBuf },
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
}
