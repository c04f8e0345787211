//! # keyward-server
//!
//! The KMIP transport: TTLV messages over mutually authenticated TLS on TCP (port 5696), handed to
//! the [`keyward_core::Dispatcher`] and answered in order, with limits on everything a client can
//! make the server spend, and a stop that finishes what was started. Optionally, KMIP over HTTPS
//! as well (`POST /kmip`, in TTLV, JSON or XML), on a second port with the same TLS, identities
//! and limits.
//!
//! ```no_run
//! # async fn example() -> Result<(), keyward_server::ServerError> {
//! use keyward_server::{Server, ServerConfig, pki::DevPki};
//! let mut config = ServerConfig::default();
//! DevPki::adopt(&mut config)?; // no certificates configured: use the development PKI
//! let dispatcher = keyward_server::open_dispatcher(&config)?;
//! let server = Server::bind(&config, dispatcher).await?;
//! println!("listening on {}", server.local_addr());
//! server.run(keyward_server::shutdown::signal()).await
//! # }
//! ```
//!
//! Layout: [`config`] and [`limits`] are the settings; [`audit`] the audit trail; [`tls`], `cert_resolver` and [`identity`]
//! the TLS layer and who the client is; `server` accepts connections and stops the server,
//! `handshake` authenticates a connection, `connection` runs a TTLV one and `https` an HTTPS one;
//! [`shutdown`] has the signals; [`pki`] the development PKI; [`metrics`] what the server counts,
//! `metrics_listener` the plain-HTTP health and metrics endpoints, `request_id` the id each
//! request's log lines carry. The encodings HTTPS carries, the
//! PEM reader and a client of both transports live in `keyward-client`, which this crate shares.

#![forbid(unsafe_code)]

mod admission;
pub mod audit;
mod cert_resolver;
pub mod config;
mod connection;
mod error;
mod files;
mod handshake;
mod https;
pub mod identity;
mod identity_rules;
pub mod limits;
mod management;
pub mod metrics;
mod metrics_listener;
pub mod pkcs11_module;
pub mod pki;
mod request_id;
mod rotation;
mod server;
pub mod shutdown;
mod store;
pub mod tls;

pub use config::{
    AuditConfig, ConfigError, DEFAULT_HTTPS_PORT, DEFAULT_METRICS_PORT, DEFAULT_PORT, HttpsConfig, LogFormat,
    MetricsConfig, ServerConfig, TlsConfig, TlsFiles,
};
pub use error::ServerError;
pub use identity::IdentitySource;
pub use keyward_client::Encoding;
pub use limits::LimitsConfig;
pub use metrics::Metrics;
pub use server::Server;
pub use store::{Maintenance, audit_key, compact_store, open_dispatcher, open_dispatcher_with_metrics, verify_store};
