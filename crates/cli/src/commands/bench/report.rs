//! The results: a table for people (one column per target, side by side) and one JSON object for
//! scripts, with the same figures.

use std::io::Write;
use std::time::Duration;

use serde::Serialize;

use super::cleanup::CleanupReport;
use super::cpu::CpuTimes;
use super::runner::Measured;
use super::stats::Latency;

/// How latencies were measured, for readers of the JSON.
const LATENCY_METHOD: &str = "per request message, from writing the request to reading the whole response; \
     HdrHistogram, microsecond resolution, 3 significant digits";

/// What was asked for, the same for every target of one invocation.
#[derive(Clone, Debug, Serialize)]
pub struct Settings {
    pub op: &'static str,
    pub kmip_version: String,
    pub connections: usize,
    pub batch_size: usize,
    pub payload_size: usize,
    pub warmup_seconds: f64,
    pub duration_seconds: f64,
    pub resume: bool,
}

/// The results of one target.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    pub target: String,
    pub tls: Option<String>,
    pub measured_seconds: f64,
    pub requests: u64,
    pub operations: u64,
    pub operations_per_second: f64,
    pub requests_per_second: f64,
    /// Operations that succeeded, per second.
    pub successes_per_second: f64,
    pub latency: Latency,
    pub failed_operations: u64,
    pub failures: Vec<FailureReport>,
    pub client_cpu: Option<CpuReport>,
    pub server_cpu: Option<CpuReport>,
    /// Setup steps the server refused.
    pub notes: Vec<String>,
    pub cleanup: Option<CleanupReport>,
}

#[derive(Clone, Debug, Serialize)]
pub struct FailureReport {
    pub reason: String,
    pub count: u64,
    /// The first Result Message that came with it.
    pub example: Option<String>,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub struct CpuReport {
    pub user_seconds: f64,
    pub system_seconds: f64,
    pub seconds: f64,
    /// CPU seconds spent per 1,000 operations answered.
    pub seconds_per_1000_operations: Option<f64>,
    /// Cores kept busy on average (CPU seconds over measured seconds).
    pub cores: f64,
}

/// Everything one invocation measured.
#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    pub settings: Settings,
    pub latency_method: &'static str,
    pub server: Option<RunReport>,
    pub echo: Option<RunReport>,
    /// The server's operations per second over the echo server's.
    pub server_to_echo: Option<f64>,
}

impl RunReport {
    pub fn new(target: String, measured: Measured, notes: Vec<String>, cleanup: Option<CleanupReport>) -> RunReport {
        let recorder = &measured.recorder;
        let seconds = measured.elapsed.as_secs_f64().max(f64::MIN_POSITIVE);
        let failed = recorder.failed_operations();
        let answered = recorder.operations;
        let cpu = |times: CpuTimes| CpuReport {
            user_seconds: times.user.as_secs_f64(),
            system_seconds: times.system.as_secs_f64(),
            seconds: times.total().as_secs_f64(),
            seconds_per_1000_operations: (answered > 0).then(|| times.total().as_secs_f64() * 1000.0 / answered as f64),
            cores: times.total().as_secs_f64() / seconds,
        };
        RunReport {
            target,
            tls: measured.tls,
            measured_seconds: seconds,
            requests: recorder.requests,
            operations: answered,
            operations_per_second: answered as f64 / seconds,
            requests_per_second: recorder.requests as f64 / seconds,
            successes_per_second: answered.saturating_sub(failed) as f64 / seconds,
            latency: recorder.latency(),
            failed_operations: failed,
            failures: recorder
                .failures
                .iter()
                .map(|(failure, count)| FailureReport {
                    reason: failure.describe(),
                    count: count.count,
                    example: count.example.clone(),
                })
                .collect(),
            client_cpu: measured.client_cpu.map(cpu),
            server_cpu: measured.server_cpu.map(cpu),
            notes,
            cleanup,
        }
    }
}

impl BenchReport {
    pub fn new(settings: Settings, server: Option<RunReport>, echo: Option<RunReport>) -> BenchReport {
        let server_to_echo = match (&server, &echo) {
            (Some(server), Some(echo)) if echo.operations_per_second > 0.0 => {
                Some(server.operations_per_second / echo.operations_per_second)
            }
            _ => None,
        };
        BenchReport { settings, latency_method: LATENCY_METHOD, server, echo, server_to_echo }
    }

    pub fn write_json(&self, out: &mut impl Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, self)?;
        writeln!(out)
    }

    /// The table: one row per figure, one column per target.
    pub fn write_table(&self, out: &mut impl Write) -> std::io::Result<()> {
        let s = &self.settings;
        let resume = if s.resume { ", sessions resumed" } else { "" };
        writeln!(
            out,
            "keyward bench: {}, KMIP {}, {} connection{}, batch {}{}, {} bytes of data; {} measured after {} of warm-up",
            s.op,
            s.kmip_version,
            s.connections,
            if s.connections == 1 { "" } else { "s" },
            s.batch_size,
            resume,
            s.payload_size,
            seconds(s.duration_seconds),
            seconds(s.warmup_seconds),
        )?;
        let runs: Vec<&RunReport> = self.server.iter().chain(self.echo.iter()).collect();
        let mut rows: Vec<(String, Vec<String>)> = vec![("".into(), runs.iter().map(|r| r.target.clone()).collect())];
        let mut row = |name: &str, value: &dyn Fn(&RunReport) -> String| {
            rows.push((name.to_string(), runs.iter().map(|r| value(r)).collect()));
        };
        row("TLS", &|r| r.tls.clone().unwrap_or_else(|| "-".into()));
        row("operations/s", &|r| thousands(r.operations_per_second));
        row("  of which succeeded", &|r| thousands(r.successes_per_second));
        row("requests/s", &|r| thousands(r.requests_per_second));
        row("latency p50", &|r| millis(r.latency.p50_ms));
        row("latency p99", &|r| millis(r.latency.p99_ms));
        row("latency p99.9", &|r| millis(r.latency.p999_ms));
        row("latency max", &|r| millis(r.latency.max_ms));
        row("failed operations", &|r| r.failed_operations.to_string());
        row("client CPU", &|r| cpu(r.client_cpu.as_ref()));
        row("client CPU / 1000 ops", &|r| per_thousand(r.client_cpu.as_ref()));
        row("server CPU", &|r| cpu(r.server_cpu.as_ref()));
        row("server CPU / 1000 ops", &|r| per_thousand(r.server_cpu.as_ref()));
        write_columns(out, &rows)?;
        if let Some(ratio) = self.server_to_echo {
            writeln!(out, "server / echo: {ratio:.3} of the ceiling (operations per second)")?;
        }
        for run in runs {
            for failure in &run.failures {
                let example = failure.example.as_deref().map(|e| format!(" (\"{e}\")")).unwrap_or_default();
                writeln!(out, "{}: {} failed: {}{example}", run.target, failure.count, failure.reason)?;
            }
            for note in &run.notes {
                writeln!(out, "{}: {note}", run.target)?;
            }
            if let Some(cleanup) = &run.cleanup {
                if cleanup.destroyed > 0 || !cleanup.left.is_empty() {
                    writeln!(out, "{}: cleanup destroyed {} objects", run.target, cleanup.destroyed)?;
                }
                for (reason, count) in &cleanup.left {
                    writeln!(out, "{}: cleanup left {count} objects: {reason}", run.target)?;
                }
            }
        }
        Ok(())
    }
}

fn write_columns(out: &mut impl Write, rows: &[(String, Vec<String>)]) -> std::io::Result<()> {
    let name_width = rows.iter().map(|(name, _)| name.chars().count()).max().unwrap_or(0);
    let columns = rows.first().map_or(0, |(_, cells)| cells.len());
    let widths: Vec<usize> = (0..columns)
        .map(|c| rows.iter().map(|(_, cells)| cells.get(c).map_or(0, |cell| cell.chars().count())).max().unwrap_or(0))
        .collect();
    for (name, cells) in rows {
        write!(out, "{name:<name_width$}")?;
        for (cell, width) in cells.iter().zip(&widths) {
            write!(out, "   {cell:>width$}")?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn seconds(value: f64) -> String {
    format!("{:?}", Duration::from_secs_f64(value))
}

/// 12345.6 as "12,346".
fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut grouped = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

fn millis(value: f64) -> String {
    format!("{value:.3} ms")
}

fn cpu(report: Option<&CpuReport>) -> String {
    report.map_or_else(
        || "-".into(),
        |r| {
            format!(
                "{:.2} s ({:.2} user, {:.2} sys; {:.2} cores)",
                r.seconds, r.user_seconds, r.system_seconds, r.cores
            )
        },
    )
}

fn per_thousand(report: Option<&CpuReport>) -> String {
    match report.and_then(|r| r.seconds_per_1000_operations) {
        Some(seconds) => format!("{:.1} ms", seconds * 1000.0),
        None => "-".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands() {
        assert_eq!(thousands(0.4), "0");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(12345.6), "12,346");
        assert_eq!(thousands(1234567.0), "1,234,567");
    }
}
