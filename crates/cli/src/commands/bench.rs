//! `keyward bench`: a load generator for any KMIP server, in standard KMIP messages only, and the
//! echo server that gives the ceiling to compare it with.
//!
//! One invocation measures the server (`--server`), the in-process echo server (`--echo`), or both
//! in turn (`--compare-echo`): setup, warm-up, the measured window, cleanup, then one report.
//! Files: `args` the command line, `target` where to connect, `requests` and `workload` what to
//! send, `setup` and `cleanup` the objects around the load, `runner` the load itself, `response`
//! and `stats` what is measured, `cpu` CPU time, `echo` the echo server, `report` the output;
//! `populate` fills a stopped server's store for the large-store benchmarks.

mod args;
mod cleanup;
mod cpu;
mod echo;
mod error;
mod idle;
mod populate;
mod report;
mod requests;
mod response;
mod runner;
mod setup;
mod stats;
mod target;
mod workload;

use std::net::{Ipv4Addr, SocketAddr};

pub use args::BenchArgs;
use args::{BenchTool, LoadArgs, Op};
pub use error::BenchError;
use keyward_server::pki::DevPki;
use report::{BenchReport, RunReport, Settings};
use response::Expect;
use runner::{ServerProcess, Shape};
use target::{PemFiles, Target};
use workload::{Fixtures, Workload};

pub fn run(args: BenchArgs) -> Result<(), BenchError> {
    match args.tool {
        Some(BenchTool::EchoServer(args)) => echo::run_standalone(args),
        Some(BenchTool::Idle(args)) => idle::run(args),
        Some(BenchTool::Populate(args)) => populate::run(args),
        None => run_load(args.load),
    }
}

fn run_load(args: LoadArgs) -> Result<(), BenchError> {
    let op = args.op.ok_or(BenchError::NoOp)?;
    // Its own threads for the echo server, started before the load runtime and idle until used.
    let echo = if args.echo || args.compare_echo { Some(EchoSetup::start(&args)?) } else { None };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("kw-bench")
        .build()
        .map_err(BenchError::Runtime)?;
    let report = runtime.block_on(async {
        let mut fixtures = None;
        let server = if args.echo {
            None
        } else {
            let (run, used) = load_server(&args, op).await?;
            fixtures = Some(used);
            Some(run)
        };
        let echo = match &echo {
            Some(echo) => Some(load_echo(&args, op, echo, fixtures).await?),
            None => None,
        };
        Ok::<_, BenchError>(BenchReport::new(settings(&args, op), server, echo))
    })?;
    drop(echo);
    let mut stdout = std::io::stdout().lock();
    if args.json { report.write_json(&mut stdout) } else { report.write_table(&mut stdout) }.map_err(BenchError::Output)
}

/// Setup, load and cleanup on the server. Returns the report and the fixtures the requests named,
/// so that the echo server can be sent messages of the very same sizes.
async fn load_server(args: &LoadArgs, op: Op) -> Result<(RunReport, Fixtures), BenchError> {
    let files = target::client_files(&args.target)?;
    let target = target::server(&args.target, &files.credentials()?)?;
    let version = args.kmip_version;
    let run_name = format!("keyward-bench-{}-{}", std::process::id(), keyward_ttlv::datetime::now_micros());
    let server_process = args.target.server_pid.map_or(ServerProcess::Unknown, ServerProcess::Pid);
    if args.server_is_echo {
        let fixtures = Fixtures::stand_ins(args.payload_size as usize, &run_name);
        progress(op, &target, "load");
        let measured =
            runner::run(&target, &workload(args, op, &fixtures, Expect::Echo), shape(args), server_process).await?;
        return Ok((RunReport::new(target.label, measured, Vec::new(), None), fixtures));
    }
    progress(op, &target, "setup");
    let setup_client = target.client(true)?;
    let prepared = setup::prepare(&setup_client, op, version, args.payload_size as usize, &run_name).await?;
    let workload = workload(args, op, &prepared.fixtures, Expect::Response);
    progress(op, &target, "load");
    let measured = runner::run(&target, &workload, shape(args), server_process).await;
    // Clean up whatever happened to the load.
    let (measured, created) = match measured {
        Ok(mut measured) => {
            let created = std::mem::take(&mut measured.recorder.created);
            (Ok(measured), created)
        }
        Err(error) => (Err(error), Vec::new()),
    };
    let mut objects: Vec<_> = created.into_iter().map(|uid| cleanup::OwnedObject { uid, active: false }).collect();
    objects.extend(prepared.objects);
    if !objects.is_empty() {
        progress(op, &target, &format!("cleanup of {} objects", objects.len()));
    }
    let cleanup = cleanup::destroy_all(&setup_client, version, objects, usize::from(args.connections)).await;
    let report = RunReport::new(target.label.clone(), measured?, prepared.notes, Some(cleanup));
    Ok((report, prepared.fixtures))
}

/// The same load on the echo server.
async fn load_echo(
    args: &LoadArgs,
    op: Op,
    echo: &EchoSetup,
    fixtures: Option<Fixtures>,
) -> Result<RunReport, BenchError> {
    let fixtures = fixtures.unwrap_or_else(|| Fixtures::stand_ins(args.payload_size as usize, "keyward-bench"));
    let label = format!("echo {} (in-process)", echo.server.address);
    let target = Target::new(label, echo.server.address, "localhost".into(), &echo.client.credentials()?)?;
    progress(op, &target, "load");
    let measured =
        runner::run(&target, &workload(args, op, &fixtures, Expect::Echo), shape(args), ServerProcess::EchoThreads)
            .await?;
    Ok(RunReport::new(target.label, measured, Vec::new(), None))
}

/// The echo server and the client certificate it accepts.
struct EchoSetup {
    server: echo::EchoServer,
    client: PemFiles,
    /// A throwaway PKI, deleted when the bench ends, when --data-dir gave none.
    _throwaway: Option<tempfile::TempDir>,
}

impl EchoSetup {
    /// Serves the ECDSA certificate of the --data-dir development PKI, as Keyward does; without a
    /// data directory, one of a throwaway development PKI (the same key types, so the same
    /// handshake cost).
    fn start(args: &LoadArgs) -> Result<EchoSetup, BenchError> {
        let (pki, throwaway) = match &args.target.data_dir {
            Some(dir) => (target::existing_dev_pki(dir)?, None),
            None => {
                let dir = tempfile::tempdir().map_err(|e| BenchError::Echo(format!("temporary directory: {e}")))?;
                let pki = DevPki::at(dir.path());
                pki.ensure().map_err(|e| BenchError::Echo(format!("throwaway PKI: {e}")))?;
                (pki, Some(dir))
            }
        };
        let listen = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        let server = echo::EchoServer::start(&PemFiles::dev_server(&pki), listen)?;
        Ok(EchoSetup { server, client: PemFiles::dev_admin(&pki), _throwaway: throwaway })
    }
}

fn workload(args: &LoadArgs, op: Op, fixtures: &Fixtures, expect: Expect) -> Workload {
    let mut workload =
        Workload::build(op, args.kmip_version, usize::from(args.batch_size), args.payload_size as usize, fixtures);
    workload.expect = expect;
    workload.resume = args.resume;
    workload
}

fn shape(args: &LoadArgs) -> Shape {
    Shape { connections: usize::from(args.connections), warmup: args.warmup, duration: args.duration }
}

fn settings(args: &LoadArgs, op: Op) -> Settings {
    Settings {
        op: op.name(),
        kmip_version: args.kmip_version.to_string(),
        connections: usize::from(args.connections),
        batch_size: usize::from(args.batch_size),
        payload_size: args.payload_size as usize,
        warmup_seconds: args.warmup.as_secs_f64(),
        duration_seconds: args.duration.as_secs_f64(),
        resume: args.resume,
    }
}

/// A line on stderr, so that a long run shows where it is; stdout keeps the report alone.
fn progress(op: Op, target: &Target, phase: &str) {
    eprintln!("keyward bench: {}, {}: {phase}", target.label, op.name());
}
