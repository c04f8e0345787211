//! `keyward-conformance`: runs the OASIS KMIP test cases against a KMIP server, ours or any other.
//!
//! ```text
//! keyward-conformance --server HOST:PORT --ca CA.pem --cert CLIENT.pem --key CLIENT.key PATH...
//! keyward-conformance --in-process PATH...
//! ```

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use keyward_client::{Client, ClientCredentials, HttpsClient};
#[cfg(feature = "in-process")]
use keyward_conformance::in_process::Workspace;
use keyward_conformance::report;
use keyward_conformance::run::{CaseResult, HttpsExchange, Outcome, TtlvExchange, https_encoding_of, run_case};
use keyward_conformance::testcase::{find_files, is_mandatory, profile_of};

#[derive(Parser)]
#[command(name = "keyward-conformance", about = "Run the OASIS KMIP test cases against a KMIP server")]
struct Args {
    /// The server to test (TTLV over mutual TLS).
    #[arg(long, value_name = "HOST:PORT", required_unless_present = "in_process")]
    server: Option<String>,
    /// The CA certificate that signed the server's certificate (PEM).
    #[arg(long, requires = "server")]
    ca: Option<PathBuf>,
    /// The client certificate (PEM).
    #[arg(long, requires = "server")]
    cert: Option<PathBuf>,
    /// The client key (PEM).
    #[arg(long, requires = "server")]
    key: Option<PathBuf>,
    /// The server's KMIP-over-HTTPS endpoint, for the MSGENC cases (without it they go over TTLV).
    #[arg(long, value_name = "HOST:PORT", requires = "server")]
    https: Option<String>,
    /// Start a Keyward server of our own, on a fresh data directory for each test case.
    #[arg(long, conflicts_with = "server")]
    in_process: bool,
    /// With --in-process: the servers' stores on PostgreSQL, a new database for each sequence of
    /// cases, made on this server (postgres://user@host:port/database; the user may create
    /// databases).
    #[arg(long, value_name = "URL", requires = "in_process")]
    store_url: Option<String>,
    /// Print the results as JSON instead of text.
    #[arg(long)]
    json: bool,
    /// After each failure, print the response received (as XML).
    #[arg(long)]
    verbose: bool,
    /// Only the cases listed in this file (one path per line, relative to PATH) must pass; the exit
    /// status is non-zero only when one of them fails.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Write the list of passing cases to this file.
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
    /// Write the results into this Markdown page, below its marker line (docs/conformance.md).
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Test-case files, or directories of them.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("keyward-conformance: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(&args)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("keyward-conformance: {e}");
            ExitCode::from(2)
        }
    }
}

/// The directory names are reported relative to.
fn root_of(paths: &[PathBuf]) -> PathBuf {
    match paths {
        [single] if single.is_dir() => single.clone(),
        [single] => single.parent().map(Path::to_path_buf).unwrap_or_default(),
        _ => PathBuf::new(),
    }
}

async fn run(args: &Args) -> Result<ExitCode, String> {
    let mut files = Vec::new();
    for path in &args.paths {
        files.extend(find_files(path).map_err(|e| format!("{}: {e}", path.display()))?);
    }
    if files.is_empty() {
        return Err("no test-case files found".into());
    }
    let root = root_of(&args.paths);
    let mut results = Vec::with_capacity(files.len());
    if args.in_process {
        run_in_process(args, &files, &root, &mut results).await?;
    } else {
        let (Some(ca), Some(cert), Some(key), Some(server)) = (&args.ca, &args.cert, &args.key, &args.server) else {
            return Err("--server needs --ca, --cert and --key".into());
        };
        let credentials = ClientCredentials::from_pem_files(ca, cert, key).map_err(|e| e.to_string())?;
        let address = resolve(server).await?;
        let https = match &args.https {
            Some(https) => Some(resolve(https).await?),
            None => None,
        };
        let endpoints = Endpoints { ttlv: address, https };
        let mut generated = HashSet::new();
        for file in &files {
            let result = run_one(file, &endpoints, &credentials, &mut generated).await;
            report_progress(args, &result, &root);
            results.push(result);
        }
    }
    if args.json {
        println!("{}", report::json(&results, &root));
    } else {
        println!("\n{}\n{}", report::table(&results), report::totals(&results));
    }
    if let Some(path) = &args.report {
        let command: Vec<String> =
            std::env::args().map(|a| if a.contains(' ') { format!("'{a}'") } else { a }).collect();
        let page = std::fs::read_to_string(path).unwrap_or_default();
        let updated = report::update_page(&page, &report::markdown(&results, &root, &command.join(" ")));
        std::fs::write(path, updated).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    if let Some(path) = &args.write_baseline {
        let passing: Vec<String> = results
            .iter()
            .filter(|r| r.outcome == Outcome::Pass)
            .map(|r| r.path.strip_prefix(&root).unwrap_or(&r.path).display().to_string())
            .collect();
        std::fs::write(path, passing.join("\n") + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
    }
    exit_code(args, &results, &root)
}

/// Where the server under test listens.
struct Endpoints {
    ttlv: SocketAddr,
    https: Option<SocketAddr>,
}

async fn resolve(host_port: &str) -> Result<SocketAddr, String> {
    tokio::net::lookup_host(host_port)
        .await
        .map_err(|e| format!("{host_port}: {e}"))?
        .next()
        .ok_or_else(|| format!("{host_port}: no address"))
}

async fn run_one(
    file: &Path,
    endpoints: &Endpoints,
    credentials: &ClientCredentials,
    generated: &mut HashSet<String>,
) -> CaseResult {
    let outcome = match (https_encoding_of(file), endpoints.https) {
        (Some(encoding), Some(https)) => match HttpsClient::new(https, "localhost", credentials) {
            Ok(client) => match client.connect().await {
                Ok(connection) => Ok(run_case(file, &mut HttpsExchange { connection, encoding }, generated).await),
                Err(e) => Err(e.to_string()),
            },
            Err(e) => Err(e.to_string()),
        },
        _ => match Client::new(endpoints.ttlv, "localhost", credentials) {
            Ok(client) => match client.connect().await {
                Ok(connection) => Ok(run_case(file, &mut TtlvExchange(connection), generated).await),
                Err(e) => Err(e.to_string()),
            },
            Err(e) => Err(e.to_string()),
        },
    };
    outcome.unwrap_or_else(|e| CaseResult {
        path: file.to_path_buf(),
        version: keyward_conformance::testcase::version_of(file),
        profile: profile_of(file),
        mandatory: is_mandatory(file),
        outcome: Outcome::Error(format!("cannot connect: {e}")),
    })
}

fn report_progress(args: &Args, result: &CaseResult, root: &Path) {
    if !args.json {
        println!("{}", report::line(result, root, args.verbose));
    }
}

fn exit_code(args: &Args, results: &[CaseResult], root: &Path) -> Result<ExitCode, String> {
    let Some(baseline) = &args.baseline else {
        let all_pass = results.iter().all(|r| r.outcome == Outcome::Pass);
        return Ok(if all_pass { ExitCode::SUCCESS } else { ExitCode::FAILURE });
    };
    let text = std::fs::read_to_string(baseline).map_err(|e| format!("{}: {e}", baseline.display()))?;
    let required: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
    let name = |r: &CaseResult| r.path.strip_prefix(root).unwrap_or(&r.path).display().to_string();
    let regressions: Vec<String> = results
        .iter()
        .filter(|r| r.outcome != Outcome::Pass && required.contains(&name(r).as_str()))
        .map(name)
        .collect();
    let improvements =
        results.iter().filter(|r| r.outcome == Outcome::Pass && !required.contains(&name(r).as_str())).count();
    if improvements > 0 {
        eprintln!("{improvements} cases pass that the baseline does not list yet");
    }
    if regressions.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!("{} cases of the baseline fail:\n  {}", regressions.len(), regressions.join("\n  "));
    Ok(ExitCode::FAILURE)
}

/// `--in-process`: a fresh Keyward server per sequence of test cases (needs the `in-process`
/// feature, on by default, which links the server; without it the runner is a pure client).
#[cfg(feature = "in-process")]
async fn run_in_process(
    args: &Args,
    files: &[PathBuf],
    root: &Path,
    results: &mut Vec<CaseResult>,
) -> Result<(), String> {
    let mut workspace = match &args.store_url {
        Some(url) => Workspace::on_postgres(url)?,
        None => Workspace::new()?,
    };
    let credentials = workspace.credentials()?;
    for group in keyward_conformance::testcase::sequences(files) {
        let running = workspace.start().await?;
        let mut generated = HashSet::new();
        for file in group {
            let endpoints = Endpoints { ttlv: running.address, https: running.https_address };
            let result = run_one(file, &endpoints, &credentials, &mut generated).await;
            report_progress(args, &result, root);
            results.push(result);
        }
        running.stop().await;
    }
    Ok(())
}

#[cfg(not(feature = "in-process"))]
async fn run_in_process(_: &Args, _: &[PathBuf], _: &Path, _: &mut Vec<CaseResult>) -> Result<(), String> {
    Err("this runner was built without the in-process feature; give --server instead".into())
}
