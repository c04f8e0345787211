//! Why `keyward bench` could not run. Errors of single requests are not here: they are counted
//! and reported, and the load goes on.

use std::path::PathBuf;

use keyward_client::ClientError;

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("--op is required: discover, create, get, get-attributes, locate, encrypt, decrypt, sign, mix or connect")]
    NoOp,
    #[error("give the client's --ca, --cert and --key, or the --data-dir of a server on the development PKI")]
    NoCredentials,
    #[error("{0} has no development PKI (pki/ca.pem): start `keyward serve --data-dir` on it once first")]
    NoDevPki(PathBuf),
    #[error("--server {address}: {error}")]
    Address { address: String, error: std::io::Error },
    #[error(transparent)]
    Client(ClientError),
    #[error("setup: {0}")]
    Setup(String),
    #[error("echo server: {0}")]
    Echo(String),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error("writing the report: {0}")]
    Output(std::io::Error),
}
