//! The trail written by [`AuditLog`] and checked by [`verify`]: it verifies as written, and every
//! kind of tampering the issue lists (a flipped byte, a deleted line, two lines swapped, a
//! truncated end, a rewrite with the hashes recomputed) is caught and its place named.

use std::path::{Path, PathBuf};
use std::time::Duration;

use keyward_core::audit::{AuditEvent, AuditOrigin, AuditSink};
use keyward_crypto::audit::AuditMacKey;
use keyward_kmip::enums::{Operation, ResultStatus};
use keyward_ttlv::KmipVersion;

use super::record::{Record, line_hash};
use super::{AuditLog, Settings, verify};
use crate::metrics::AuditCounters;

const KEK: [u8; 32] = [9; 32];

fn key() -> AuditMacKey {
    AuditMacKey::derive(&KEK)
}

fn settings(dir: &Path) -> Settings {
    Settings {
        dir: dir.to_path_buf(),
        fail_closed: true,
        checkpoint_every: 4,
        rotate_size: 4096,
        flush_interval: Duration::from_millis(1),
        sync_interval: Duration::from_secs(1),
        syslog: None,
    }
}

/// What a server writes its trail with by default (checkpoints, rotation, intervals), under `dir`:
/// the measurements' settings.
fn served_settings(dir: &Path) -> Settings {
    Settings::new(&crate::config::AuditConfig::default(), dir)
}

fn origin() -> std::sync::Arc<AuditOrigin> {
    std::sync::Arc::new(AuditOrigin {
        identity: "alice".into(),
        fingerprint: Some("ab".repeat(32)),
        peer: Some("127.0.0.1:4000".into()),
        transport: "kmip",
        ..AuditOrigin::default()
    })
}

fn event(n: usize) -> AuditEvent {
    AuditEvent {
        version: Some(KmipVersion::V2_1),
        operation: Some(Operation::Create),
        action: None,
        batch_item_id: None,
        status: ResultStatus::Success,
        reason: None,
        inputs: Vec::new(),
        outputs: vec![format!("uid-{n}")],
        outputs_omitted: 0,
        commit: None,
    }
}

/// Writes `count` records through a log, waiting for each to be durable, and closes it.
fn write_trail(dir: &Path, count: usize) {
    let log = AuditLog::open(settings(dir), key(), AuditCounters::default()).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    for n in 0..count {
        let seq = log.append(&origin(), vec![event(n)]).unwrap();
        runtime.block_on(log.durable(seq)).unwrap();
    }
    log.close().unwrap();
}

fn files(dir: &Path) -> Vec<PathBuf> {
    super::trail_files(dir).unwrap()
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path).unwrap().lines().map(str::to_string).collect()
}

fn write_lines(path: &Path, lines: &[String]) {
    std::fs::write(path, lines.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
}

#[test]
fn a_trail_verifies_across_rotations_and_restarts() {
    let dir = tempfile::tempdir().unwrap();
    write_trail(dir.path(), 30);
    write_trail(dir.path(), 5);
    assert!(files(dir.path()).len() >= 3, "rotate_size 4096 makes several files");
    let verified = verify(dir.path(), Some(&key())).unwrap();
    assert_eq!(verified.records, 35);
    assert!(verified.macs_checked);
    assert_eq!(verified.first_seq, Some(1));
    assert!(verified.notes.is_empty(), "{:?}", verified.notes);
    let unkeyed = verify(dir.path(), None).unwrap();
    assert!(unkeyed.notes.iter().any(|n| n.contains("MACs not checked")), "{:?}", unkeyed.notes);
    // Every request record is there, in order, with its fields.
    let records: Vec<Record> = files(dir.path())
        .iter()
        .flat_map(|f| lines(f))
        .map(|l| serde_json::from_str::<Record>(&l).unwrap())
        .filter(|r| !r.is_checkpoint())
        .collect();
    assert_eq!(records[0].outputs, ["uid-0"]);
    assert_eq!(records[0].identity.as_deref(), Some("alice"));
    assert_eq!(records[0].version.as_deref(), Some("2.1"));
    assert_eq!(records[34].outputs, ["uid-4"]);
    // A checkpoint at least every 4 records, one at each rotation, start and shutdown.
    let all: Vec<Record> =
        files(dir.path()).iter().flat_map(|f| lines(f)).map(|l| serde_json::from_str(&l).unwrap()).collect();
    let mut since = 0;
    for record in &all {
        since = if record.is_checkpoint() { 0 } else { since + 1 };
        assert!(since <= 4);
    }
    assert!(all.last().unwrap().is_checkpoint());
}

/// Runs `tamper` on the trail of a fresh directory and returns the error verify gives.
fn tampered(tamper: impl FnOnce(&[PathBuf])) -> super::Broken {
    let dir = tempfile::tempdir().unwrap();
    write_trail(dir.path(), 12);
    tamper(&files(dir.path()));
    verify(dir.path(), Some(&key())).expect_err("tampering must be detected")
}

#[test]
fn a_flipped_byte_is_named() {
    let broken = tampered(|files| {
        let mut bytes = std::fs::read(&files[0]).unwrap();
        let third_line = bytes.iter().enumerate().filter(|(_, b)| **b == b'\n').nth(1).unwrap().0 + 1;
        // Inside the third line's "time" value: still JSON, but no longer the line the fourth chains to.
        let at = third_line + bytes[third_line..].windows(6).position(|w| w == b"\"time\"").unwrap() + 10;
        bytes[at] ^= 0x01;
        std::fs::write(&files[0], bytes).unwrap();
    });
    assert_eq!((broken.line, broken.seq), (4, Some(4)), "{broken}");
    assert!(broken.to_string().contains("audit-00000001.jsonl line 4"), "{broken}");
}

#[test]
fn a_deleted_line_is_named() {
    let broken = tampered(|files| {
        let mut lines = lines(&files[0]);
        lines.remove(2);
        write_lines(&files[0], &lines);
    });
    assert_eq!(broken.line, 3, "{broken}");
    assert!(broken.what.contains("sequence number 4 where 3 was due"), "{broken}");
}

#[test]
fn swapped_lines_are_named() {
    let broken = tampered(|files| {
        let mut lines = lines(&files[0]);
        lines.swap(2, 3);
        write_lines(&files[0], &lines);
    });
    assert_eq!(broken.line, 3, "{broken}");
}

#[test]
fn a_truncated_end_is_named() {
    let broken = tampered(|files| {
        let last = files.last().unwrap();
        let mut lines = lines(last);
        lines.truncate(lines.len() - 2);
        write_lines(last, &lines);
    });
    assert!(broken.what.contains("records were removed from the end"), "{broken}");
    // Cut in the middle of a line: named as such.
    let broken = tampered(|files| {
        let last = files.last().unwrap();
        let bytes = std::fs::read(last).unwrap();
        std::fs::write(last, &bytes[..bytes.len() - 10]).unwrap();
    });
    assert!(broken.what.contains("incomplete last line"), "{broken}");
}

#[test]
fn a_removed_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    write_trail(dir.path(), 40);
    let files = files(dir.path());
    assert!(files.len() >= 3);
    std::fs::remove_file(&files[1]).unwrap();
    let broken = verify(dir.path(), None).unwrap_err();
    assert_eq!(broken.file, files[2], "{broken}");
    assert_eq!(broken.line, 1, "{broken}");
}

/// An edit that recomputes every later hash passes the chain; only the checkpoint MAC after it
/// (or the head's) tells, so only verification with the key catches it.
#[test]
fn a_rewrite_with_recomputed_hashes_needs_the_key() {
    let dir = tempfile::tempdir().unwrap();
    write_trail(dir.path(), 3);
    let file = &files(dir.path())[0];
    let mut records: Vec<Record> = lines(file).iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    records[2].identity = Some("mallory".into());
    let mut prev = records[0].prev.clone();
    let mut rewritten = Vec::new();
    for record in &mut records {
        record.prev = prev.clone();
        let line = record.to_line();
        prev = line_hash(line.as_bytes());
        rewritten.push(line);
    }
    write_lines(file, &rewritten);
    // The head names the last record by its hash: rewrite it too, as an attacker would.
    let head = super::files::Head::read(dir.path()).unwrap().unwrap();
    let forged = super::files::Head { hash: prev, ..head };
    std::fs::write(dir.path().join(super::HEAD_FILE), serde_json::to_string(&forged).unwrap()).unwrap();
    assert!(verify(dir.path(), None).is_ok());
    let broken = verify(dir.path(), Some(&key())).unwrap_err();
    assert!(broken.what.contains("MAC does not verify"), "{broken}");
    assert_eq!(broken.line, 5, "{broken}");
}

#[test]
fn another_key_does_not_verify() {
    let dir = tempfile::tempdir().unwrap();
    write_trail(dir.path(), 2);
    let broken = verify(dir.path(), Some(&AuditMacKey::derive(&[1; 32]))).unwrap_err();
    assert_eq!(broken.line, 1, "{broken}");
}

#[test]
fn an_unwritable_directory_is_refused_when_failing_closed() {
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit");
    std::fs::create_dir(&audit).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&audit, std::fs::Permissions::from_mode(0o500)).unwrap();
    if std::fs::write(audit.join("probe"), b"").is_ok() {
        return; // running as root: permissions do not stop us
    }
    assert!(AuditLog::open(settings(&audit), key(), AuditCounters::default()).is_err());
    let failed = AuditLog::failed_open(settings(&audit), key(), AuditCounters::default(), "unwritable".into());
    assert!(failed.writable().is_err(), "closed: changes refused");
    assert!(failed.append(&origin(), vec![event(0)]).is_err());
}

#[test]
fn an_incomplete_last_line_is_removed_at_start_and_said() {
    let dir = tempfile::tempdir().unwrap();
    write_trail(dir.path(), 2);
    let file = files(dir.path()).pop().unwrap();
    let mut bytes = std::fs::read(&file).unwrap();
    bytes.extend_from_slice(b"{\"seq\":99,");
    std::fs::write(&file, bytes).unwrap();
    write_trail(dir.path(), 1);
    verify(dir.path(), Some(&key())).unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("\"discarded_bytes\":10"), "{text}");
}

/// What appending a Get's record costs the request, in nanoseconds (the flusher's writes and
/// fsyncs run on their own thread), on one thread and on two at once.
/// `cargo test --release -p keyward-server --lib -- --ignored --nocapture cost_of_recording`
#[test]
#[ignore = "a measurement, run by hand"]
fn cost_of_recording_a_get() {
    const CALLS: u32 = 50_000;
    let get = AuditEvent {
        operation: Some(Operation::Get),
        action: None,
        inputs: vec!["6d3b1c9e-2f4a-4e8b-9c1d-0a5e7f3b2c11".into()],
        outputs: Vec::new(),
        ..event(0)
    };
    let run = |log: std::sync::Arc<AuditLog>, get: AuditEvent| {
        let origin = origin();
        let started = std::time::Instant::now();
        for _ in 0..CALLS {
            log.append(&origin, vec![get.clone()]).unwrap();
        }
        started.elapsed().as_nanos() as f64 / f64::from(CALLS)
    };
    // With the flusher writing every 20 ms (it competes for the cores), and with it idle (what
    // two requests at once cost each other alone).
    for (flusher, interval) in [("writing", 20), ("idle", 10_000)] {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings { flush_interval: Duration::from_millis(interval), ..served_settings(dir.path()) };
        let log = std::sync::Arc::new(AuditLog::open(settings, key(), AuditCounters::default()).unwrap());
        let alone = run(log.clone(), get.clone());
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let (log, get) = (log.clone(), get.clone());
                std::thread::spawn(move || run(log, get))
            })
            .collect();
        let together: Vec<f64> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        println!(
            "recording a Get, the flusher {flusher}: {alone:.0} ns on one thread; {:.0} and {:.0} ns on two at once",
            together[0], together[1]
        );
        log.close().unwrap();
    }
}

/// The parts of [`cost_of_recording_a_get`], in nanoseconds each.
#[test]
#[ignore = "a measurement, run by hand"]
fn cost_of_recording_parts() {
    const CALLS: u32 = 200_000;
    let time = |label: &str, mut f: Box<dyn FnMut()>| {
        let started = std::time::Instant::now();
        for _ in 0..CALLS {
            f();
        }
        println!("{label}: {:.0} ns", started.elapsed().as_nanos() as f64 / f64::from(CALLS));
    };
    time("clock and RFC 3339", Box::new(|| drop(std::hint::black_box(super::record::now_rfc3339()))));
    let get = AuditEvent {
        operation: Some(Operation::Get),
        action: None,
        inputs: vec!["6d3b1c9e-2f4a-4e8b-9c1d-0a5e7f3b2c11".into()],
        outputs: vec![],
        ..event(0)
    };
    let origin = origin();
    time(
        "line body",
        Box::new(move || {
            let mut out = Vec::with_capacity(512);
            super::line::request_body(&mut out, 1_796_502_667_412, &origin, &get);
            std::hint::black_box(out);
        }),
    );
    let line = vec![b'x'; 350];
    let copy = line.clone();
    time(
        "SHA-256 of 350 bytes, hex",
        Box::new(move || {
            std::hint::black_box(super::record::line_hash_hex(&line));
        }),
    );
    time(
        "aws-lc SHA-256 of 350 bytes",
        Box::new(move || {
            std::hint::black_box(keyward_crypto::sha256(&copy));
        }),
    );
}

/// A read's record is written at once and synced later; the head names only synced lines; a
/// change's wait syncs at once, and takes every record written before it along.
#[test]
fn records_nobody_waits_for_are_synced_later_and_a_wait_syncs_them() {
    let dir = tempfile::tempdir().unwrap();
    let trail = dir.path().join("audit");
    let settings = Settings { sync_interval: Duration::from_secs(3600), ..settings(&trail) };
    let log = AuditLog::open(settings, key(), AuditCounters::default()).unwrap();
    let head = || super::files::Head::read(&trail).unwrap().expect("a head").seq;
    let at_start = head();
    log.append(&origin(), vec![event(1)]).unwrap();
    let written = || files(&trail).iter().flat_map(|f| lines(f)).any(|line| line.contains("uid-1"));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !written() {
        assert!(std::time::Instant::now() < deadline, "the read's record was never written");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(head(), at_start, "the head named a line not yet synced");

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let change = log.append(&origin(), vec![event(2)]).unwrap();
    runtime.block_on(log.durable(change)).unwrap();
    assert_eq!(head(), at_start + 2, "the wait synced both records and named the last");
    log.close().unwrap();
    assert!(verify(&trail, Some(&key())).is_ok());
}

#[test]
fn a_syslog_socket_gets_each_record_line_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let socket_path = dir.path().join("log.sock");
    let collector = std::os::unix::net::UnixDatagram::bind(&socket_path).unwrap();
    collector.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let trail = dir.path().join("audit");
    let log =
        AuditLog::open(Settings { syslog: Some(socket_path), ..settings(&trail) }, key(), Default::default()).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let seq = log.append(&origin(), vec![event(7)]).unwrap();
    runtime.block_on(log.durable(seq)).unwrap();
    log.close().unwrap();
    let written: Vec<String> = files(&trail).iter().flat_map(|f| lines(f)).collect();
    let request = written.iter().find(|l| l.contains("uid-7")).expect("the request's line");
    let mut received = Vec::new();
    let mut buffer = vec![0u8; 64 * 1024];
    while let Ok(n) = collector.recv(&mut buffer) {
        received.push(String::from_utf8(buffer[..n].to_vec()).unwrap());
        if received.iter().any(|m| m.contains("\"shutdown\"")) {
            break;
        }
    }
    let copy = received.iter().find(|m| m.contains("uid-7")).expect("the request's message");
    assert!(copy.starts_with("<110>1 ") && copy.ends_with(request.as_str()), "{copy}\n{request}");
}

/// What the trail costs a Get, all threads' CPU counted (the flusher's too), in process: the
/// dispatcher over the memory store, each answer recorded as a connection records it; without
/// TLS and sockets, whose noise hides a microsecond. Alternates off and on.
/// `cargo test --release -p keyward-server --lib -- --ignored --nocapture cost_of_auditing`
#[test]
#[ignore = "a measurement, run by hand"]
fn cost_of_auditing_a_get_in_process() {
    use std::sync::Arc;

    use keyward_core::{ClientIdentity, Dispatcher, Policy, Services, SystemClock};
    use keyward_kmip::message::{RequestMessage, ResponseMessage};
    use keyward_kmip::payloads::create::CreateRequest;
    use keyward_kmip::payloads::get::GetRequest;
    use keyward_kmip::payloads::{RequestPayload, ResponsePayload};
    use keyward_ttlv::{Encoder, Limits};

    // `KEYWARD_AUDIT_GETS=N` sets the Gets a run makes: few under valgrind, whose instruction
    // counts (two values of N, subtracted) are the one figure this machine's noise leaves alone.
    let gets: u32 = std::env::var("KEYWARD_AUDIT_GETS").ok().and_then(|n| n.parse().ok()).unwrap_or(200_000);
    // `KEYWARD_AUDIT_THREADS=N`: N threads make them at once (the server's workers contend for
    // the trail's queue; one thread alone never does).
    let threads: u32 = std::env::var("KEYWARD_AUDIT_THREADS").ok().and_then(|n| n.parse().ok()).unwrap_or(1);
    /// Nanoseconds on the CPU of the thread whose `schedstat` this is.
    fn thread_nanos(schedstat: impl AsRef<std::path::Path>) -> u64 {
        let stat = std::fs::read_to_string(schedstat).unwrap_or_default();
        stat.split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or(0)
    }
    /// Nanoseconds on the CPU, every running thread of this process together.
    fn cpu_nanos() -> u64 {
        std::fs::read_dir("/proc/self/task")
            .unwrap()
            .map(|task| thread_nanos(task.unwrap().path().join("schedstat")))
            .sum()
    }
    let client = ClientIdentity::new("bench");
    let origin = origin();
    let limits = Limits::default();
    let run = |audit: bool| -> (f64, f64) {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(keyward_store::MemoryStore::new(keyward_core::record_schema::schema()));
        let mut dispatcher =
            Dispatcher::new(Services { store, policy: Policy::default(), clock: Arc::new(SystemClock) });
        if audit {
            let log = AuditLog::open(served_settings(dir.path()), key(), AuditCounters::default()).unwrap();
            dispatcher = dispatcher.with_audit(Arc::new(log));
        }
        let mut out = Encoder::with_capacity(4096);
        let create = RequestPayload::Create(CreateRequest {
            object_type: keyward_kmip::enums::ObjectType::SymmetricKey,
            attributes: keyward_kmip::attributes::Attributes::new(vec![
                keyward_kmip::attributes::Attribute::CryptographicAlgorithm(
                    keyward_kmip::enums::CryptographicAlgorithm::AES,
                ),
                keyward_kmip::attributes::Attribute::CryptographicLength(256),
            ]),
            protection_storage_masks: None,
        });
        let request = |payload| RequestMessage::new(KmipVersion::V1_4, vec![payload]).to_bytes();
        let mut handled = dispatcher.handle_message(&client, &request(create), &limits, &mut out);
        if let Some(ticket) = handled.ticket.take() {
            ticket.wait().unwrap();
        }
        let uid = match &ResponseMessage::from_bytes(out.as_bytes()).unwrap().batch_items[0].payload {
            Some(ResponsePayload::Create(created)) => created.unique_identifier.clone(),
            other => panic!("no Create response: {other:?}"),
        };
        let get = request(RequestPayload::Get(GetRequest::of(uid.as_str())));
        let (cpu, wall) = (cpu_nanos(), std::time::Instant::now());
        // As many request threads as the server has workers sharing the one trail.
        // Each counts its own CPU: a thread that has ended is no longer in /proc/self/task.
        let requests: u64 = std::thread::scope(|scope| {
            let running: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| {
                        let own = || thread_nanos("/proc/thread-self/schedstat");
                        let (start, mut out) = (own(), Encoder::with_capacity(4096));
                        for _ in 0..gets {
                            let mut handled = dispatcher.handle_message(&client, &get, &limits, &mut out);
                            let _ = super::record(&dispatcher, &origin, &mut handled).unwrap();
                        }
                        own() - start
                    })
                })
                .collect();
            running.into_iter().map(|thread| thread.join().unwrap()).sum()
        });
        let per = |nanos: f64| nanos / f64::from(gets * threads);
        // Saturating: a thread of another test that ends meanwhile takes its CPU out of the sum
        // (run this test alone for a figure).
        (per((cpu_nanos() + requests).saturating_sub(cpu) as f64), per(wall.elapsed().as_nanos() as f64))
    };
    // `KEYWARD_AUDIT_COST=on` (or `off`) runs one side only, to profile it.
    let sides = match std::env::var("KEYWARD_AUDIT_COST").as_deref() {
        Ok("on") => vec![true],
        Ok("off") => vec![false],
        _ => vec![false, true],
    };
    let mut rows = Vec::new();
    for _ in 0..4 {
        for &audit in &sides {
            rows.push((audit, run(audit)));
        }
    }
    for (audit, (cpu, wall)) in &rows {
        println!("audit {}: {cpu:.0} ns of CPU, {wall:.0} ns of wall time a Get", if *audit { "on " } else { "off" });
    }
}
