//! `keyward bench populate`: fills a stopped server's store with many named keys, fast, for the
//! benchmarks of a large store (docs/performance.md, "A store of a million objects").
//!
//! The keys are made by the server's own dispatcher on the data directory, in-process (no TLS, no
//! sockets): Create batches of AES-256 keys, each named `<prefix>-<n>` and owned by the
//! development PKI's administrator, every batch durable before the next is sent. What lands on
//! disk is what `keyward serve` would have written for the same requests.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use keyward_core::ClientIdentity;
use keyward_kmip::KmipVersion;
use keyward_kmip::enums::ResultStatus;
use keyward_kmip::message::ResponseMessage;
use keyward_server::ServerConfig;
use keyward_server::pki::ADMIN;
use keyward_ttlv::{Encoder, Limits};

use super::error::BenchError;
use super::requests;

#[derive(Debug, Args)]
pub struct PopulateArgs {
    /// The server's data directory (the server must be stopped).
    #[arg(long, value_name = "DIR")]
    pub data_dir: PathBuf,
    /// The server's configuration file, if it has one.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// How many keys to add.
    #[arg(long, value_name = "N", default_value_t = 1_000_000)]
    pub count: u64,
    /// Keys per request message.
    #[arg(long, value_name = "K", default_value_t = 1000, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub batch: u16,
    /// The names are PREFIX-0, PREFIX-1...
    #[arg(long, value_name = "PREFIX", default_value = "populated")]
    pub prefix: String,
}

pub fn run(args: PopulateArgs) -> Result<(), BenchError> {
    let mut config = match &args.config {
        Some(path) => ServerConfig::load(path).map_err(|e| BenchError::Setup(e.to_string()))?,
        None => ServerConfig::default(),
    };
    config.data_dir = args.data_dir.clone();
    // The trail would record a million Creates: not what the store benchmark measures.
    config.audit.enabled = false;
    let dispatcher = keyward_server::open_dispatcher(&config).map_err(|e| BenchError::Setup(e.to_string()))?;
    let admin = ClientIdentity::new(ADMIN);
    let limits = Limits::default();
    let mut out = Encoder::new();
    let started = Instant::now();
    let mut made = 0u64;
    while made < args.count {
        let size = u64::from(args.batch).min(args.count - made);
        let payloads =
            (made..made + size).map(|n| requests::create_aes_256(Some(&format!("{}-{n}", args.prefix)))).collect();
        let request = requests::message(KmipVersion::V1_4, payloads);
        let ticket = dispatcher.handle(&admin, &request, &limits, &mut out);
        if let Some(ticket) = ticket {
            ticket.wait().map_err(|e| BenchError::Setup(format!("not durable: {e}")))?;
        }
        let response = ResponseMessage::from_bytes(out.as_bytes()).map_err(|e| BenchError::Setup(e.to_string()))?;
        if let Some(failed) = response.batch_items.iter().find(|i| i.result_status != ResultStatus::Success) {
            return Err(BenchError::Setup(format!(
                "a Create failed: {:?} {}",
                failed.result_reason,
                failed.result_message.as_deref().unwrap_or_default()
            )));
        }
        made += size;
        if made % 100_000 < size || made == args.count {
            let seconds = started.elapsed().as_secs_f64();
            eprintln!("{made} keys in {seconds:.1} s ({:.0} keys/s)", made as f64 / seconds.max(1e-9));
        }
    }
    Ok(())
}
