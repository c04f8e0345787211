//! The command line of `keyward bench`: what to load, how hard, for how long, and how to report.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use keyward_kmip::KmipVersion;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub tool: Option<BenchTool>,
    #[command(flatten)]
    pub load: LoadArgs,
}

#[derive(Debug, Subcommand)]
pub enum BenchTool {
    /// Run the mutual-TLS echo server on its own (the ceiling `--echo` measures in-process).
    EchoServer(EchoServerArgs),
    /// Hold many connections open and idle, and measure the server's resident memory for them.
    Idle(IdleArgs),
    /// Fill a stopped server's store with many named keys (in-process, fast).
    Populate(super::populate::PopulateArgs),
}

/// `keyward bench idle`.
#[derive(Debug, Args)]
pub struct IdleArgs {
    #[command(flatten)]
    pub target: ServerArgs,
    /// Connections to open and hold (the server's `max_connections` must allow them).
    #[arg(long, value_name = "N", default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub connections: u32,
    /// How long to hold them, once all are open.
    #[arg(long, value_name = "TIME", default_value = "60s", value_parser = parse_duration)]
    pub duration: Duration,
    /// How often to read the server's resident memory while holding them.
    #[arg(long, value_name = "TIME", default_value = "10s", value_parser = parse_duration)]
    pub sample_every: Duration,
    /// Connections opened at once while connecting.
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub opening: u32,
    /// Print the results as one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Which server to load and who the client is: shared by the load and `keyward bench idle`.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// The KMIP server, as HOST:PORT (the host also names the server in TLS, unless --server-name).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:5696")]
    pub server: String,
    /// The name the server's certificate must carry, when it is not the host of --server.
    #[arg(long, value_name = "NAME")]
    pub server_name: Option<String>,
    /// The data directory of a `keyward serve` on the development PKI: connect as its admin client
    /// (instead of --ca, --cert and --key).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["ca", "cert", "key"])]
    pub data_dir: Option<PathBuf>,
    /// The CA certificates (PEM) the server's certificate must chain to.
    #[arg(long, value_name = "FILE", requires_all = ["cert", "key"])]
    pub ca: Option<PathBuf>,
    /// The client certificate (PEM).
    #[arg(long, value_name = "FILE", requires_all = ["ca", "key"])]
    pub cert: Option<PathBuf>,
    /// The client's private key (PEM).
    #[arg(long, value_name = "FILE", requires_all = ["ca", "cert"])]
    pub key: Option<PathBuf>,
    /// The server's process ID, to measure the CPU time (and, idle, the memory) it spends (Linux,
    /// /proc).
    #[arg(long, value_name = "PID")]
    pub server_pid: Option<u32>,
}

/// What `keyward bench` sends, where, and how it reports.
#[derive(Debug, Args)]
pub struct LoadArgs {
    #[command(flatten)]
    pub target: ServerArgs,
    // Optional for clap, which would otherwise ask for it with `echo-server` too; the load checks it.
    /// The workload (required).
    #[arg(long, value_enum)]
    pub op: Option<Op>,
    /// Connections open at once, each with one request in flight.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub connections: u16,
    /// How long to measure: seconds (2, 0.5) or with a unit (500ms, 3s, 1m).
    #[arg(long, value_name = "TIME", default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,
    /// How long to run the workload before measuring (connections, caches and sessions warm up).
    #[arg(long, value_name = "TIME", default_value = "1s", value_parser = parse_duration)]
    pub warmup: Duration,
    /// The KMIP version of the requests.
    #[arg(long, value_name = "VERSION", default_value = "1.4")]
    pub kmip_version: KmipVersion,
    /// Bytes of data in each Encrypt, Decrypt and Sign request.
    #[arg(long, value_name = "BYTES", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..=1_048_576))]
    pub payload_size: u32,
    /// Operations in each request message (batch items).
    #[arg(long, value_name = "K", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub batch_size: u16,
    /// With --op connect: resume TLS sessions instead of a full handshake for each connection.
    #[arg(long)]
    pub resume: bool,
    /// Load the in-process echo server instead of --server: the ceiling of this machine.
    #[arg(long, conflicts_with = "compare_echo")]
    pub echo: bool,
    /// Load --server, then the in-process echo server the same way, and compare them.
    #[arg(long)]
    pub compare_echo: bool,
    /// --server is a `keyward bench echo-server` (in a process of its own): no setup, and the
    /// requests come back instead of responses.
    #[arg(long, conflicts_with_all = ["echo", "compare_echo"])]
    pub server_is_echo: bool,
    /// Print the results as one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// The workloads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Op {
    /// Discover Versions: the protocol path alone, no store.
    Discover,
    /// Create an AES-256 key (each one is destroyed afterwards).
    Create,
    /// Get a key created in the setup.
    Get,
    /// Get Attributes (all of them) of a key created in the setup.
    GetAttributes,
    /// Locate by the Name of a key created in the setup.
    Locate,
    /// AES-256-GCM encryption with a key created and activated in the setup.
    Encrypt,
    /// AES-256-GCM decryption of a ciphertext made in the setup.
    Decrypt,
    /// An RSA-2048 PKCS#1 v1.5 SHA-256 signature with a key pair made in the setup.
    Sign,
    /// Create, Get and Encrypt in turn.
    Mix,
    /// A new mutual-TLS connection for each request, then one Discover Versions.
    Connect,
}

impl Op {
    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Op::Discover => "discover",
            Op::Create => "create",
            Op::Get => "get",
            Op::GetAttributes => "get-attributes",
            Op::Locate => "locate",
            Op::Encrypt => "encrypt",
            Op::Decrypt => "decrypt",
            Op::Sign => "sign",
            Op::Mix => "mix",
            Op::Connect => "connect",
        }
    }
}

#[derive(Debug, Args)]
pub struct EchoServerArgs {
    /// The address to listen on.
    #[arg(long, value_name = "ADDRESS:PORT", default_value = "127.0.0.1:5698")]
    pub listen: std::net::SocketAddr,
    /// The CA certificates (PEM) client certificates must chain to.
    #[arg(long, value_name = "FILE")]
    pub ca: PathBuf,
    /// The server's certificate chain (PEM).
    #[arg(long, value_name = "FILE")]
    pub cert: PathBuf,
    /// The server's private key (PEM).
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
}

/// A duration as seconds (`2`, `0.5`) or with a unit (`500ms`, `3s`, `1m`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().map_err(|_| format!("{text:?} is not a duration (e.g. 5, 0.5, 500ms, 3s)"))?;
    let seconds = match unit.trim() {
        "" | "s" => number,
        "ms" => number / 1000.0,
        "m" | "min" => number * 60.0,
        other => return Err(format!("unknown unit {other:?} (ms, s or m)")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("{text:?} is not a duration"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_with_and_without_units() {
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("3h").is_err());
    }
}
