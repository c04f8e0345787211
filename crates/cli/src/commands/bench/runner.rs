//! Driving the load: one task per connection on a multi-threaded runtime, each with one request in
//! flight, sending its pre-encoded messages back to back. A warm-up first (connections opened,
//! sessions and caches filled), then the measured window; CPU time is read at both edges of it.
//!
//! Per request the client does: patch the IVs (Encrypt only), write the bytes, read the response
//! into the connection's reused buffer, validate it with the zero-copy decoder and read each batch
//! item's status. Nothing is allocated unless an operation failed or created an object.

use std::sync::Arc;
use std::time::{Duration, Instant};

use keyward_client::{Client, ClientError, Connection};

use super::cpu::{self, CpuTimes};
use super::echo;
use super::error::BenchError;
use super::response::{self, Failure};
use super::stats::Recorder;
use super::target::Target;
use super::workload::{IvSequence, Workload};

/// After a connection fails, wait this long before the next try, so that a server that is down
/// is not hammered by a loop of refused connections.
const RETRY_PAUSE: Duration = Duration::from_millis(50);

/// How long and how wide.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub connections: usize,
    pub warmup: Duration,
    pub duration: Duration,
}

/// Whose CPU time to read besides this process's.
#[derive(Clone, Copy, Debug)]
pub enum ServerProcess {
    /// Not known: the server's CPU time is not reported.
    Unknown,
    /// Another process.
    Pid(u32),
    /// The in-process echo server's threads (taken out of the client's time).
    EchoThreads,
}

/// What a run measured.
pub struct Measured {
    pub recorder: Recorder,
    /// From the start of the measured window to its end, or to the last measured response when
    /// that came later.
    pub elapsed: Duration,
    pub client_cpu: Option<CpuTimes>,
    pub server_cpu: Option<CpuTimes>,
    /// The TLS version and cipher suite of the first connection.
    pub tls: Option<String>,
}

/// Runs `workload` against `target`.
pub async fn run(
    target: &Target,
    workload: &Workload,
    shape: Shape,
    server: ServerProcess,
) -> Result<Measured, BenchError> {
    let client = target.client(!workload.connection_per_request || workload.resume)?;
    let tls = probe_tls(&client).await;
    let workload = Arc::new(workload.clone());
    let begin = Instant::now();
    let window = Window { start: begin + shape.warmup, end: begin + shape.warmup + shape.duration };
    let mut tasks = Vec::with_capacity(shape.connections);
    for index in 0..shape.connections {
        let (client, workload) = (client.clone(), Arc::clone(&workload));
        tasks.push(tokio::spawn(drive(index, client, workload, window)));
    }
    tokio::time::sleep_until(window.start.into()).await;
    let before = CpuSample::take(server);
    tokio::time::sleep_until(window.end.into()).await;
    let after = CpuSample::take(server);
    let mut recorder = Recorder::new();
    for task in tasks {
        let connection = task.await.map_err(|error| BenchError::Setup(format!("a connection task failed: {error}")))?;
        recorder.merge(connection);
    }
    let last = recorder.last_response.map_or(window.end, |last| last.max(window.end));
    let (client_cpu, server_cpu) = after.since(&before);
    Ok(Measured { recorder, elapsed: last - window.start, client_cpu, server_cpu, tls })
}

#[derive(Clone, Copy)]
struct Window {
    start: Instant,
    end: Instant,
}

/// One connection's loop.
async fn drive(index: usize, client: Client, workload: Arc<Workload>, window: Window) -> Recorder {
    let mut recorder = Recorder::new();
    // A copy of its own: the IVs are patched in place.
    let mut messages = workload.messages.clone();
    let mut ivs = IvSequence::new(u32::try_from(index).unwrap_or(u32::MAX));
    let mut open: Option<Connection> = None;
    let limits = response::limits();
    // With Mix, connections start at different operations, so that all three run at any time.
    let mut turn = index;
    loop {
        let sent = Instant::now();
        if sent >= window.end {
            break;
        }
        recorder.measuring = sent >= window.start;
        let message = &mut messages[turn % workload.messages.len()];
        turn += 1;
        ivs.patch(message);
        let (bytes, operations) = (&message.bytes[..], message.operations);
        let (outcome, answered) = if workload.connection_per_request {
            on_new_connection(&client, bytes, |response| {
                response::scan(response, workload.expect, operations, &limits, &mut recorder)
            })
            .await
        } else {
            match on_open_connection(&client, &mut open, bytes).await {
                Ok(response) => {
                    let answered = Instant::now();
                    (response::scan(response, workload.expect, operations, &limits, &mut recorder), answered)
                }
                Err(error) => (Err(Failure::Transport(error.to_string())), Instant::now()),
            }
        };
        match outcome {
            Ok(operations) => recorder.answered(answered - sent, operations, answered),
            Err(failure) => {
                recorder.lost(failure, operations);
                // A connection that failed, or that returned garbage, cannot be trusted to be in step.
                open = None;
                tokio::time::sleep(RETRY_PAUSE).await;
            }
        }
    }
    if let Some(connection) = open {
        connection.close().await;
    }
    recorder
}

/// One request on the connection of this task, opened first if needed. The response is borrowed
/// from the connection's buffer, valid until the next request.
async fn on_open_connection<'c>(
    client: &Client,
    open: &'c mut Option<Connection>,
    request: &[u8],
) -> Result<&'c [u8], ClientError> {
    let connection = match open {
        Some(connection) => connection,
        None => open.insert(client.connect().await?),
    };
    connection.call(request).await
}

/// A new connection, one request whose response `read` reads, and a polite close. Returns when
/// the response had arrived (the close is not part of the request's latency).
async fn on_new_connection(
    client: &Client,
    request: &[u8],
    read: impl FnOnce(&[u8]) -> Result<usize, Failure>,
) -> (Result<usize, Failure>, Instant) {
    let mut connection = match client.connect().await {
        Ok(connection) => connection,
        Err(error) => return (Err(Failure::Transport(error.to_string())), Instant::now()),
    };
    let (outcome, answered) = match connection.call(request).await {
        Ok(response) => {
            let answered = Instant::now();
            (read(response), answered)
        }
        Err(error) => (Err(Failure::Transport(error.to_string())), Instant::now()),
    };
    connection.close().await;
    (outcome, answered)
}

/// The TLS version and cipher suite the server chooses for this client (on a connection of its
/// own, before the load).
async fn probe_tls(client: &Client) -> Option<String> {
    let connection = client.connect().await.ok()?;
    let tls = connection.tls();
    let description = format!("{:?}, {:?}", tls.protocol_version()?, tls.negotiated_cipher_suite()?.suite());
    connection.close().await;
    Some(description)
}

/// CPU times at one moment.
struct CpuSample {
    process: Option<CpuTimes>,
    server: Option<CpuTimes>,
    /// The server's threads are this process's (the echo server).
    server_in_process: bool,
}

impl CpuSample {
    fn take(server: ServerProcess) -> CpuSample {
        let (times, server_in_process) = match server {
            ServerProcess::Unknown => (None, false),
            ServerProcess::Pid(pid) => (cpu::process(pid), false),
            ServerProcess::EchoThreads => (cpu::threads_named(echo::THREAD_NAME), true),
        };
        CpuSample { process: cpu::this_process(), server: times, server_in_process }
    }

    /// The client's and the server's CPU time since `before`.
    fn since(&self, before: &CpuSample) -> (Option<CpuTimes>, Option<CpuTimes>) {
        let process = self.process.zip(before.process).map(|(now, then)| now.since(&then));
        let server = self.server.zip(before.server).map(|(now, then)| now.since(&then));
        let client = match (process, server) {
            // The in-process echo server's time is not the client's.
            (Some(process), Some(server)) if self.server_in_process => Some(process.since(&server)),
            (process, _) => process,
        };
        (client, server)
    }
}
