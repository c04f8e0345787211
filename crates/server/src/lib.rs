//! # keyward-server
//!
//! The KMIP transport: TTLV messages over mutually authenticated TLS on TCP (port 5696), handed to
//! the [`keyward_core::Dispatcher`] and answered in order, with limits on everything a client can
//! make the server spend, and a stop that finishes what was started.
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
//! Layout: [`config`] and [`limits`] are the settings; [`tls`], `cert_resolver` and [`identity`]
//! the TLS layer and who the client is; `server` accepts connections and stops the server,
//! `connection` runs one of them; [`shutdown`] has the signals; [`pki`] the development PKI;
//! [`client`] a client for tests and tools.

#![forbid(unsafe_code)]

mod cert_resolver;
pub mod client;
pub mod config;
mod connection;
mod error;
mod files;
pub mod identity;
pub mod limits;
pub mod pem;
pub mod pki;
mod server;
pub mod shutdown;
mod store;
pub mod tls;

pub use config::{ConfigError, DEFAULT_PORT, ServerConfig, TlsConfig, TlsFiles};
pub use error::ServerError;
pub use identity::IdentitySource;
pub use limits::LimitsConfig;
pub use server::Server;
pub use store::open_dispatcher;
