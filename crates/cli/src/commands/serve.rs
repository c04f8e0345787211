//! `keyward serve`: runs the KMIP server until SIGTERM or Ctrl-C.
//!
//! Without arguments it runs on embedded defaults (data in `./keyward-data`, loopback port 5696)
//! with a development PKI created on first start, and prints what a client needs to connect. With
//! `--config` it reads a TOML file; the flags override the file.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use keyward_server::pki::{self, AdoptedPki, DevPki};
use keyward_server::{ConfigError, Server, ServerConfig, ServerError};
use tracing_subscriber::EnvFilter;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The configuration file (TOML; docs/configuration.md lists every setting).
    #[arg(long, short, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The address and port to listen on, e.g. 0.0.0.0:5696.
    #[arg(long, value_name = "ADDRESS:PORT")]
    listen: Option<SocketAddr>,
    /// The data directory (store, KEK, development PKI).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// The CA certificates (PEM) client certificates must chain to.
    #[arg(long, value_name = "FILE")]
    ca: Option<PathBuf>,
    /// The server's certificate chain (PEM).
    #[arg(long, value_name = "FILE")]
    cert: Option<PathBuf>,
    /// The server's private key (PEM).
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// Threads serving connections (default: one per core).
    #[arg(long, value_name = "N")]
    worker_threads: Option<usize>,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Server(#[from] ServerError),
    #[error("log_level {filter:?}: {error}")]
    LogFilter { filter: String, error: String },
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
}

pub fn run(args: ServeArgs) -> Result<(), ServeError> {
    let mut config = match &args.config {
        Some(path) => ServerConfig::load(path)?,
        None => ServerConfig::default(),
    };
    args.apply(&mut config);
    config.validate()?;
    init_logging(&config.log_level)?;
    let adopted = DevPki::adopt(&mut config).map_err(ServerError::from)?;
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = config.worker_threads {
        runtime.worker_threads(threads);
    }
    let runtime = runtime.enable_all().thread_name("keyward").build().map_err(ServeError::Runtime)?;
    runtime.block_on(serve(config, adopted))
}

impl ServeArgs {
    fn apply(&self, config: &mut ServerConfig) {
        if let Some(listen) = self.listen {
            config.listen = listen;
        }
        if let Some(dir) = &self.data_dir {
            config.data_dir = dir.clone();
        }
        if self.worker_threads.is_some() {
            config.worker_threads = self.worker_threads;
        }
        for (flag, setting) in
            [(&self.ca, &mut config.tls.ca), (&self.cert, &mut config.tls.cert), (&self.key, &mut config.tls.key)]
        {
            if flag.is_some() {
                setting.clone_from(flag);
            }
        }
    }
}

async fn serve(config: ServerConfig, adopted: Option<AdoptedPki>) -> Result<(), ServeError> {
    let dispatcher = keyward_server::open_dispatcher(&config)?;
    let server = Server::bind(&config, dispatcher).await?;
    print_banner(server.local_addr(), server.https_addr(), &config, adopted.as_ref());
    server.run(stop_requested()).await?;
    Ok(())
}

/// The first SIGTERM or Ctrl-C stops the server gracefully; a second one ends the process at
/// once. Every acknowledged change is on disk already, so that loses only requests in progress.
async fn stop_requested() {
    keyward_server::shutdown::signal().await;
    tokio::spawn(async {
        keyward_server::shutdown::signal().await;
        tracing::warn!("second signal: exiting without waiting for requests in progress");
        std::process::exit(130);
    });
}

/// Logs go to stderr, filtered by `RUST_LOG` when it is set and by `log_level` otherwise.
fn init_logging(log_level: &str) -> Result<(), ServeError> {
    let filter = match EnvFilter::try_from_default_env() {
        Ok(filter) => filter,
        Err(_) => EnvFilter::try_new(log_level)
            .map_err(|error| ServeError::LogFilter { filter: log_level.into(), error: error.to_string() })?,
    };
    // Colours only for a person at a terminal; a journal or a file gets plain text.
    let colours = std::io::stderr().is_terminal();
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(colours).init();
    Ok(())
}

/// Tells the person who started the server where it is and, with the development PKI, how to
/// connect to it. Printed on stdout, apart from the log.
fn print_banner(address: SocketAddr, https: Option<SocketAddr>, config: &ServerConfig, adopted: Option<&AdoptedPki>) {
    println!("Keyward {} is serving KMIP over TLS on {address}", env!("CARGO_PKG_VERSION"));
    if let Some(https) = https {
        println!("KMIP over HTTPS on {https} (POST /kmip: TTLV, JSON or XML)");
    }
    println!("Data directory: {}", pki::absolute(&config.data_dir).display());
    let Some(adopted) = adopted else { return };
    let dev = &adopted.pki;
    let admin = dev.client(pki::ADMIN);
    let created = if adopted.created { " (created now)" } else { "" };
    println!();
    println!("Development PKI{created}, for trying Keyward out, not for production:");
    println!("  CA certificate       {}", pki::absolute(&dev.ca_cert()).display());
    println!("  client certificate   {}", pki::absolute(&admin.cert).display());
    println!("  client key           {}", pki::absolute(&admin.key).display());
    match &adopted.admin_identity {
        Some(identity) => println!("  client identity      {identity} (an administrator)"),
        None => println!("  client identity      none under identity = {:?}", config.identity),
    }
    println!("  more clients         keyward pki issue-client NAME --data-dir {}", config.data_dir.display());
    println!();
    println!("PyKMIP client configuration (pykmip.conf):");
    println!();
    print!("{}", pki::pykmip_conf(&connect_host(address), address.port(), &dev.ca_cert(), &admin));
    println!();
    println!("(`auth_suite` is a PyKMIP server setting, not a client one. Keyward speaks TLS 1.3, and TLS 1.2");
    println!("with ECDHE and AES-GCM: the `TLS1.2` suite's ECDSA ciphers, which the ECDSA server certificate");
    println!("serves. The `Basic` suite, TLS 1.0 with CBC ciphers, is refused.)");
}

/// The address a local client should dial: the listening address, or loopback when the server
/// listens on every address.
fn connect_host(address: SocketAddr) -> String {
    match address {
        SocketAddr::V4(v4) if v4.ip().is_unspecified() => "127.0.0.1".into(),
        SocketAddr::V6(v6) if v6.ip().is_unspecified() => "::1".into(),
        other => other.ip().to_string(),
    }
}
