//! `keyward serve`: runs the KMIP server until SIGTERM or Ctrl-C.
//!
//! Without arguments it runs on embedded defaults (data in `./keyward-data`, loopback port 5696)
//! with a development PKI created on first start, and prints what a client needs to connect. With
//! `--config` it reads a TOML file; the flags override the file.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

use clap::Args;
use keyward_server::config::store::StoreBackend;
use keyward_server::pki::{self, AdoptedPki, DevPki};
use keyward_server::{ConfigError, LogFormat, Metrics, Server, ServerConfig, ServerError};
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
    /// Where to serve /health, /ready and /metrics over plain HTTP (default 127.0.0.1:9696), or
    /// `off`.
    #[arg(long, value_name = "ADDRESS:PORT|off")]
    metrics_listen: Option<MetricsListen>,
    /// How log lines are written: `text`, or `json` (one object a line).
    #[arg(long, value_name = "text|json")]
    log_format: Option<LogFormat>,
}

/// The value of `--metrics-listen`.
#[derive(Clone, Copy, Debug)]
enum MetricsListen {
    Off,
    On(SocketAddr),
}

impl FromStr for MetricsListen {
    type Err = String;

    fn from_str(text: &str) -> Result<MetricsListen, String> {
        if text == "off" {
            return Ok(MetricsListen::Off);
        }
        text.parse().map(MetricsListen::On).map_err(|_| format!("{text:?} is neither ADDRESS:PORT nor `off`"))
    }
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
    init_logging(&config.log_level, config.log_format)?;
    super::file_modes::keep_new_files_private();
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
        match self.metrics_listen {
            Some(MetricsListen::Off) => config.metrics.enabled = false,
            Some(MetricsListen::On(address)) => {
                config.metrics.enabled = true;
                config.metrics.listen = address;
            }
            None => {}
        }
        if let Some(format) = self.log_format {
            config.log_format = format;
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
    // Metrics off means nothing is counted at all, not only that nothing is served.
    let server = if config.metrics.enabled {
        let metrics = Metrics::new();
        let dispatcher = keyward_server::open_dispatcher_with_metrics(&config, &metrics)?;
        Server::bind_with_metrics(&config, dispatcher, metrics).await?
    } else {
        Server::bind(&config, keyward_server::open_dispatcher(&config)?).await?
    };
    print_banner(&server, &config, adopted.as_ref());
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

/// Logs go to stderr, filtered by `RUST_LOG` when it is set and by `log_level` otherwise, as text
/// or as one JSON object a line.
fn init_logging(log_level: &str, format: LogFormat) -> Result<(), ServeError> {
    // A RUST_LOG that does not parse is passed over for the configured level, as before.
    let from_env = std::env::var("RUST_LOG").ok().and_then(|env| EnvFilter::try_new(with_quiet_sled(&env)).ok());
    let filter = match from_env {
        Some(filter) => filter,
        None => EnvFilter::try_new(with_quiet_sled(log_level))
            .map_err(|error| ServeError::LogFilter { filter: log_level.into(), error: error.to_string() })?,
    };
    let subscriber = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => {
            // Colours only for a person at a terminal; a journal or a file gets plain text.
            subscriber.with_ansi(std::io::stderr().is_terminal()).init();
        }
        // The current span's fields (the request id) and the list of spans come with each event.
        LogFormat::Json => subscriber.json().with_ansi(false).init(),
    }
    Ok(())
}

/// sled's own log lines (at debug, a line per page-cache event) are noise to an operator: off up
/// to warnings unless the filter names sled itself.
fn with_quiet_sled(filter: &str) -> String {
    let names_sled = filter.split(',').any(|directive| directive.trim().starts_with("sled"));
    match filter.trim() {
        _ if names_sled => filter.to_owned(),
        "" => "sled=warn".to_owned(),
        filter => format!("{filter},sled=warn"),
    }
}

/// Tells the person who started the server where it is and, with the development PKI, how to
/// connect to it. Printed on stdout, apart from the log.
fn print_banner(server: &Server, config: &ServerConfig, adopted: Option<&AdoptedPki>) {
    let address = server.local_addr();
    println!("Keyward {} is serving KMIP over TLS on {address}", env!("CARGO_PKG_VERSION"));
    if let Some(https) = server.https_addr() {
        println!("KMIP over HTTPS on {https} (POST /kmip: TTLV, JSON or XML)");
    }
    if let Some(metrics) = server.metrics_addr() {
        println!("Health and metrics on http://{metrics} (/health, /ready, /metrics)");
    }
    println!("Data directory: {}", pki::absolute(&config.data_dir).display());
    if let Some(url) = config.store.url.as_ref().filter(|_| config.store.backend == StoreBackend::Postgres) {
        println!("Store: PostgreSQL at {}", url.redacted());
    }
    let Some(adopted) = adopted else { return };
    let dev = &adopted.pki;
    let admin = dev.client(pki::ADMIN);
    let created = if adopted.created { " (created now)" } else { "" };
    println!();
    println!("Development PKI{created}, for trying Keyward out, not for production:");
    println!("  CA certificate       {}", pki::absolute(&dev.ca_cert()).display());
    println!("  client certificate   {}", pki::absolute(&admin.cert).display());
    println!("  client key           {}", pki::absolute(&admin.key).display());
    // A ready-made profile for the client commands, written on the first start (never replaced).
    if let Some(profile) = super::dev_profile::ensure(dev, &connect_host(address), address.port()) {
        println!("  client profile       {} (keyward --profile FILE keys list)", profile.display());
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sled_is_quiet_unless_the_filter_names_it() {
        assert_eq!(with_quiet_sled("debug"), "debug,sled=warn");
        assert_eq!(with_quiet_sled("keyward_server=debug,info"), "keyward_server=debug,info,sled=warn");
        assert_eq!(with_quiet_sled("debug,sled=trace"), "debug,sled=trace");
        assert_eq!(with_quiet_sled("info, sled::pagecache=debug"), "info, sled::pagecache=debug");
        assert_eq!(with_quiet_sled(""), "sled=warn");
    }

    #[test]
    fn metrics_listen_is_an_address_or_off() {
        assert!(matches!("off".parse(), Ok(MetricsListen::Off)));
        assert!(matches!("127.0.0.1:0".parse(), Ok(MetricsListen::On(_))));
        assert!("9696".parse::<MetricsListen>().is_err());
    }
}
