//! `keyward bench idle`: what an idle connection costs the server. Opens `--connections` mutual-TLS
//! connections (a Discover Versions on each, so that each is a served connection and not a
//! half-open socket), holds them for `--duration` while sampling the server's resident memory,
//! then sends one more request on every connection to prove none was dropped.
//!
//! The figure is the server's resident set (VmRSS in /proc) after connecting minus before, over
//! the number of connections; kernel socket buffers are not in it, as they are not in the
//! process's memory. The samples show whether memory stays flat while nothing happens.

use std::sync::Arc;
use std::time::{Duration, Instant};

use keyward_client::{Client, Connection};
use keyward_kmip::KmipVersion;
use serde::Serialize;
use tokio::sync::Semaphore;

use super::args::IdleArgs;
use super::error::BenchError;
use super::requests;
use super::response::{self, Expect, Failure, Findings};
use super::target;

/// What `keyward bench idle` reports.
#[derive(Debug, Serialize)]
struct IdleReport {
    target: String,
    connections: u32,
    connect_seconds: f64,
    held_seconds: f64,
    /// Server resident memory, in KiB: before connecting, once all are open, and while held.
    rss_before_kib: u64,
    rss_connected_kib: u64,
    rss_samples_kib: Vec<u64>,
    rss_end_kib: u64,
    /// (connected - before) / connections.
    kib_per_connection: f64,
    /// The largest sample minus the first: growth while idle.
    drift_kib: i64,
    /// Connections that answered the last request.
    answered_at_end: u32,
}

pub fn run(args: IdleArgs) -> Result<(), BenchError> {
    let pid = args.target.server_pid.ok_or(BenchError::Setup("`keyward bench idle` needs --server-pid".into()))?;
    let files = target::client_files(&args.target)?;
    let target = target::server(&args.target, &files.credentials()?)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("kw-bench")
        .build()
        .map_err(BenchError::Runtime)?;
    let report = runtime.block_on(async {
        let rss = || resident_kib(pid).ok_or_else(|| BenchError::Setup(format!("no /proc/{pid}/status")));
        let client = Arc::new(target.client(false)?);
        let rss_before_kib = rss()?;
        eprintln!("keyward bench: {}, idle: opening {} connections", target.label, args.connections);
        let started = Instant::now();
        let mut connections = open_all(&client, args.connections, args.opening).await?;
        let connect_seconds = started.elapsed().as_secs_f64();
        let rss_connected_kib = rss()?;
        eprintln!("keyward bench: {}, idle: holding them for {:?}", target.label, args.duration);
        let held = Instant::now();
        let mut rss_samples_kib = vec![rss_connected_kib];
        while held.elapsed() < args.duration {
            tokio::time::sleep(args.sample_every.min(args.duration.saturating_sub(held.elapsed()))).await;
            rss_samples_kib.push(rss()?);
        }
        let held_seconds = held.elapsed().as_secs_f64();
        let answered_at_end = ping_all(&mut connections).await;
        let rss_end_kib = rss()?;
        let growth = rss_samples_kib.iter().max().copied().unwrap_or(rss_connected_kib);
        Ok::<_, BenchError>(IdleReport {
            target: target.label.clone(),
            connections: args.connections,
            connect_seconds,
            held_seconds,
            rss_before_kib,
            rss_connected_kib,
            kib_per_connection: rss_connected_kib.saturating_sub(rss_before_kib) as f64 / f64::from(args.connections),
            drift_kib: i64::try_from(growth).unwrap_or(i64::MAX) - i64::try_from(rss_connected_kib).unwrap_or(0),
            rss_samples_kib,
            rss_end_kib,
            answered_at_end,
        })
    })?;
    let mut out = std::io::stdout().lock();
    if args.json { write_json(&report, &mut out) } else { write_table(&report, &mut out) }.map_err(BenchError::Output)
}

/// Opens `count` connections, `at_once` handshakes in flight, each answering a Discover Versions.
async fn open_all(client: &Arc<Client>, count: u32, at_once: u32) -> Result<Vec<Connection>, BenchError> {
    let gate = Arc::new(Semaphore::new(at_once as usize));
    let mut opening = tokio::task::JoinSet::new();
    for _ in 0..count {
        let (client, gate) = (Arc::clone(client), Arc::clone(&gate));
        opening.spawn(async move {
            let _turn = gate.acquire_owned().await;
            let mut connection = client.connect().await.map_err(BenchError::Client)?;
            ping(&mut connection).await.map_err(|f| BenchError::Setup(f.describe()))?;
            Ok::<_, BenchError>(connection)
        });
    }
    let mut connections = Vec::with_capacity(count as usize);
    while let Some(joined) = opening.join_next().await {
        connections.push(joined.map_err(|e| BenchError::Setup(e.to_string()))??);
    }
    Ok(connections)
}

/// One more Discover Versions on every connection; how many answered.
async fn ping_all(connections: &mut [Connection]) -> u32 {
    let mut answered = 0;
    for connection in connections {
        if ping(connection).await.is_ok() {
            answered += 1;
        }
    }
    answered
}

async fn ping(connection: &mut Connection) -> Result<(), Failure> {
    struct NoneExpected(Option<Failure>);
    impl Findings for NoneExpected {
        fn failed(&mut self, failure: Failure, _: Option<&str>) {
            self.0.get_or_insert(failure);
        }
        fn created(&mut self, _: &str) {}
    }
    let request = requests::message(KmipVersion::V1_4, vec![requests::discover_versions()]);
    let reply = connection.call(&request).await.map_err(|e| Failure::Transport(e.to_string()))?;
    let mut findings = NoneExpected(None);
    response::scan(reply, Expect::Response, 1, &response::limits(), &mut findings)?;
    findings.0.map_or(Ok(()), Err)
}

/// The resident memory of a process, from /proc/PID/status (Linux), in KiB.
fn resident_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn write_json(report: &IdleReport, out: &mut impl std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}

fn write_table(report: &IdleReport, out: &mut impl std::io::Write) -> std::io::Result<()> {
    let seconds = |s: f64| format!("{:.1} s", Duration::from_secs_f64(s).as_secs_f64());
    writeln!(out, "keyward bench idle: {}", report.target)?;
    writeln!(out, "{:<34}{:>16}", "connections", report.connections)?;
    writeln!(out, "{:<34}{:>16}", "time to open them", seconds(report.connect_seconds))?;
    writeln!(out, "{:<34}{:>16}", "held for", seconds(report.held_seconds))?;
    writeln!(out, "{:<34}{:>13} KiB", "server RSS before", report.rss_before_kib)?;
    writeln!(out, "{:<34}{:>13} KiB", "server RSS, all connected", report.rss_connected_kib)?;
    writeln!(out, "{:<34}{:>13.1} KiB", "per connection", report.kib_per_connection)?;
    writeln!(out, "{:<34}{:>13} KiB", "growth while idle (max - first)", report.drift_kib)?;
    writeln!(out, "{:<34}{:>13} KiB", "server RSS after the last requests", report.rss_end_kib)?;
    writeln!(out, "{:<34}{:>16}", "answered at the end", report.answered_at_end)?;
    let samples: Vec<String> = report.rss_samples_kib.iter().map(u64::to_string).collect();
    writeln!(out, "RSS samples (KiB): {}", samples.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_its_own_resident_memory() {
        let kib = resident_kib(std::process::id()).unwrap();
        assert!(kib > 100, "{kib} KiB");
    }
}
