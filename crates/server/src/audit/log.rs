//! The writer of the trail: a request writes its records' JSON on its own thread and copies the
//! bytes into a queue under a short lock; one flusher thread turns the queue into lines (sequence
//! number, hash chain, the checkpoints that are due), writes them, fsyncs them and rewrites the
//! head file, for many records at a time (group commit, like the store's). Nothing a request
//! allocates is freed by the flusher, and the flusher reads only bytes laid out in a row: handing
//! it the events themselves cost it twice the CPU, most of it in cache misses on events gone cold
//! (docs/performance.md, "Audit trail").
//!
//! A request that changed objects waits until its records are durable ([`AuditSink::durable`]
//! asks the flusher to go at once). A read does not wait: its records are written with the next
//! group, at most `flush_interval` later, and fsynced with a later group, at most `sync_interval`
//! after it was written (the wait of a change syncs it). Once a write fails, the trail stays
//! failed until the server restarts: with `fail_mode = "closed"` every request is then refused;
//! with `"open"` the records are dropped and counted.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use keyward_core::audit::{AuditEvent, AuditOrigin, AuditSink, AuditUnavailable, Durable};
use keyward_crypto::audit::AuditMacKey;
use tokio::sync::watch;

use super::files::{self, Head, HeadFile};
use super::record::{CheckpointReason, Record, line_hash_hex, now_rfc3339};
use super::syslog::SyslogCopy;
use crate::config::{AuditConfig, FailMode};
use crate::metrics::AuditCounters;
use std::time::{SystemTime, UNIX_EPOCH};

/// The flusher writes a group's lines in pieces of about this many bytes, each while it is still
/// in the processor's cache: a group written whole (hundreds of kilobytes at 20 ms) was read back
/// from memory by the copy into the page cache.
const WRITE_PIECE: usize = 64 << 10;

/// What the writer needs from the configuration.
#[derive(Clone, Debug)]
pub struct Settings {
    pub dir: PathBuf,
    pub fail_closed: bool,
    pub checkpoint_every: u64,
    pub rotate_size: u64,
    pub flush_interval: Duration,
    /// How long written records nobody waits for may stay unsynced.
    pub sync_interval: Duration,
    /// A local datagram socket that gets a copy of each record (RFC 5424).
    pub syslog: Option<PathBuf>,
}

impl Settings {
    pub fn new(config: &AuditConfig, data_dir: &Path) -> Settings {
        Settings {
            dir: config.directory(data_dir),
            fail_closed: config.fail_mode == FailMode::Closed,
            checkpoint_every: config.checkpoint_every.max(1),
            rotate_size: config.rotate_size,
            flush_interval: Duration::from_millis(config.flush_interval_ms),
            sync_interval: Duration::from_millis(config.sync_interval_ms),
            syslog: config.syslog.clone(),
        }
    }
}

/// The audit trail of a running server.
pub struct AuditLog {
    inner: Arc<Inner>,
    flusher: Mutex<Option<JoinHandle<()>>>,
}

struct Inner {
    state: Mutex<State>,
    /// Wakes the flusher.
    work: Condvar,
    progress: watch::Sender<Progress>,
    key: AuditMacKey,
    settings: Settings,
    counters: AuditCounters,
    /// Set with `State::failure`, read without the lock by `writable`.
    failed: AtomicBool,
}

struct State {
    /// Records appended and not yet taken by the flusher.
    queue: Queue,
    /// Events ever appended: the number [`AuditSink::durable`] waits for.
    appended: u64,
    queued_since: Option<Instant>,
    /// Someone waits for durability: flush now.
    urgent: bool,
    stopping: bool,
    failure: Option<String>,
}

/// Records waiting to be written: each one's fields after `seq` and `prev`, in a row.
#[derive(Default)]
struct Queue {
    bodies: Vec<u8>,
    /// Where each record's body ends in `bodies`.
    ends: Vec<usize>,
}

impl Queue {
    fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    /// The records' bodies, in order.
    fn bodies(&self) -> impl Iterator<Item = &[u8]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(&self.ends).map(|(start, &end)| &self.bodies[start..end])
    }

    fn clear(&mut self) {
        self.bodies.clear();
        self.ends.clear();
    }
}

/// The end of the chain, kept by the flusher: the next sequence number and the last line's hash.
struct Chain {
    next_seq: u64,
    /// The SHA-256 of the last line, in hexadecimal.
    last_hash: [u8; 64],
    since_checkpoint: u64,
    every: u64,
}

#[derive(Clone, Debug, Default)]
struct Progress {
    durable: u64,
    failure: Option<Arc<str>>,
}

/// The flusher's side: the open segment and the head file.
struct Segment {
    file: File,
    number: u64,
    size: u64,
    head: HeadFile,
}

impl AuditLog {
    /// Opens (or starts) the trail in `settings.dir`, writes a start checkpoint and makes it
    /// durable. An error means the trail cannot be written: a server failing closed must not
    /// start.
    pub fn open(settings: Settings, key: AuditMacKey, counters: AuditCounters) -> Result<AuditLog, String> {
        let dir = settings.dir.clone();
        let fail = |what: &str, error: std::io::Error| format!("{what} {}: {error}", dir.display());
        crate::files::create_private_dir(&dir).map_err(|e| fail("cannot create the audit directory", e))?;
        let segments = files::segments(&dir).map_err(|e| fail("cannot list the audit directory", e))?;
        // The `prev` of the very first record: [`super::record::GENESIS`], 64 zeros.
        let (mut next_seq, mut last_hash, mut discarded) = (1, [b'0'; 64], 0);
        // The chain continues from the last record of the newest segment that has one.
        for (_, path) in segments.iter().rev() {
            let tail = files::recover_tail(path).map_err(|e| fail("cannot read the audit trail in", e))?;
            discarded += tail.discarded_bytes;
            if let Some((record, hash)) = tail.last {
                (next_seq, last_hash) = (record.seq + 1, hash);
                break;
            }
        }
        if discarded > 0 {
            tracing::warn!(bytes = discarded, "removed an incomplete last audit record (a write cut short)");
        }
        if let Ok(Some(head)) = Head::read(&dir)
            && head.seq >= next_seq
        {
            tracing::error!(
                head = head.seq,
                last = next_seq - 1,
                "the audit trail ends before the record its head names: records were removed"
            );
        }
        let number = segments.last().map_or(1, |(number, _)| *number);
        let path = dir.join(files::segment_name(number));
        let (file, size) = files::open_segment(&path).map_err(|e| fail("cannot open the audit trail in", e))?;
        files::sync_dir(&dir).map_err(|e| fail("cannot sync the audit directory", e))?;
        let head = HeadFile::open(&dir).map_err(|e| fail("cannot open the audit head in", e))?;
        let mut segment = Segment { file, number, size, head };
        let mut chain = Chain { next_seq, last_hash, since_checkpoint: 0, every: settings.checkpoint_every };
        let mut first = Vec::new();
        chain.push_checkpoint(&mut first, &key, CheckpointReason::Start, discarded);
        segment
            .append(&first)
            .and_then(|()| segment.sync(chain.next_seq - 1, &chain.last_hash(), &key, true))
            .map_err(|e| fail("cannot write the audit trail in", e))?;
        let state = State {
            queue: Queue::default(),
            appended: 0,
            queued_since: None,
            urgent: false,
            stopping: false,
            failure: None,
        };
        let (progress, _) = watch::channel(Progress { durable: 0, failure: None });
        let inner = Arc::new(Inner {
            state: Mutex::new(state),
            work: Condvar::new(),
            progress,
            key,
            settings,
            counters,
            failed: AtomicBool::new(false),
        });
        inner.counters.written(1);
        let flusher = Arc::clone(&inner);
        let handle = std::thread::Builder::new()
            .name("keyward-audit".into())
            .spawn(move || flusher.run(segment, chain))
            .map_err(|e| format!("cannot start the audit flusher: {e}"))?;
        tracing::info!(directory = %dir.display(), next = next_seq, "audit trail open");
        Ok(AuditLog { inner, flusher: Mutex::new(Some(handle)) })
    }

    /// A trail that could not be opened, failing open: every record is dropped and counted.
    pub fn failed_open(settings: Settings, key: AuditMacKey, counters: AuditCounters, why: String) -> AuditLog {
        let state = State {
            queue: Queue::default(),
            appended: 0,
            queued_since: None,
            urgent: false,
            stopping: true,
            failure: Some(why.clone()),
        };
        let (progress, _) = watch::channel(Progress { durable: 0, failure: Some(why.into()) });
        let inner = Inner {
            state: Mutex::new(state),
            work: Condvar::new(),
            progress,
            key,
            settings,
            counters,
            failed: AtomicBool::new(true),
        };
        AuditLog { inner: Arc::new(inner), flusher: Mutex::new(None) }
    }

    fn stop_flusher(&self) {
        self.inner.lock().stopping = true;
        self.inner.work.notify_all();
        let handle = self.flusher.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(handle) = handle {
            let _ = handle.join();
        }
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        self.stop_flusher();
    }
}

impl AuditSink for AuditLog {
    fn writable(&self) -> Result<(), AuditUnavailable> {
        if self.inner.settings.fail_closed && self.inner.failed.load(Ordering::Acquire) {
            let failure = self.inner.lock().failure.clone().unwrap_or_default();
            return Err(AuditUnavailable(failure));
        }
        Ok(())
    }

    fn append(&self, origin: &Arc<AuditOrigin>, events: Vec<AuditEvent>) -> Result<u64, AuditUnavailable> {
        let inner = &self.inner;
        let millis = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
        let mut state = inner.lock();
        if state.failure.is_some() {
            drop(state);
            return inner.refuse(events.len());
        }
        let was_empty = state.queue.is_empty();
        // Written in place: a copy made before the lock cost more than the lock is held.
        let queue = &mut state.queue;
        for event in &events {
            super::line::request_body(&mut queue.bodies, millis, origin, event);
            queue.ends.push(queue.bodies.len());
        }
        state.appended += events.len() as u64;
        state.queued_since.get_or_insert_with(Instant::now);
        let last = state.appended;
        drop(state);
        if was_empty {
            // The flusher waits without a deadline while there is nothing to write.
            inner.work.notify_one();
        }
        Ok(last)
    }

    fn durable(&self, sequence: u64) -> Durable {
        let inner = &self.inner;
        let mut progress = inner.progress.subscribe();
        if sequence == 0 || progress.borrow().durable >= sequence {
            return Box::pin(std::future::ready(Ok(())));
        }
        inner.lock().urgent = true;
        inner.work.notify_one();
        Box::pin(async move {
            let reached = progress.wait_for(|p| p.durable >= sequence || p.failure.is_some()).await;
            match reached {
                Ok(p) if p.durable >= sequence => Ok(()),
                Ok(p) => Err(AuditUnavailable(p.failure.as_deref().unwrap_or_default().to_string())),
                Err(_) => Err(AuditUnavailable("the audit flusher stopped".into())),
            }
        })
    }

    fn close(&self) -> Result<(), AuditUnavailable> {
        // The flusher writes what is queued, then the shutdown checkpoint.
        self.stop_flusher();
        match &self.inner.lock().failure {
            Some(failure) => Err(AuditUnavailable(failure.clone())),
            None => Ok(()),
        }
    }
}

impl Chain {
    /// Appends a request record's line to `out` (its `body` after the chain's fields), and a
    /// checkpoint after it when one is due.
    fn push_request(&mut self, out: &mut Vec<u8>, body: &[u8], key: &AuditMacKey) {
        let start = out.len();
        out.extend_from_slice(br#"{"seq":"#);
        super::line::number(out, self.next_seq);
        out.extend_from_slice(br#","prev":""#);
        out.extend_from_slice(&self.last_hash);
        out.extend_from_slice(br#"","#);
        out.extend_from_slice(body);
        self.last_hash = line_hash_hex(&out[start..]);
        out.push(b'\n');
        self.next_seq += 1;
        self.since_checkpoint += 1;
        if self.since_checkpoint >= self.every {
            self.push_checkpoint(out, key, CheckpointReason::Interval, 0);
        }
    }

    fn push_checkpoint(&mut self, out: &mut Vec<u8>, key: &AuditMacKey, reason: CheckpointReason, discarded: usize) {
        let record = Record::checkpoint(self.next_seq, self.last_hash(), now_rfc3339(), reason, discarded, key);
        let line = record.to_line();
        self.last_hash = line_hash_hex(line.as_bytes());
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
        self.next_seq += 1;
        self.since_checkpoint = 0;
    }

    fn last_hash(&self) -> String {
        String::from_utf8_lossy(&self.last_hash).into_owned()
    }
}

/// A time in milliseconds since the Unix epoch, as the records write it.
fn time_of(millis: u64) -> String {
    super::record::rfc3339_cached(millis / 1000, (millis % 1000) as u32)
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent whatever panicked while holding the lock.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn run(&self, mut segment: Segment, mut chain: Chain) {
        let (mut spare, mut data) = (Queue::default(), Vec::new());
        let (interval, sync_interval) = (self.settings.flush_interval, self.settings.sync_interval);
        let dir = &self.settings.dir;
        let mut syslog = self.settings.syslog.as_deref().and_then(|path| {
            SyslogCopy::new(path).inspect_err(|error| tracing::warn!(%error, "no syslog copy of the audit trail")).ok()
        });
        // Records written and not yet synced: since when. Nobody waits for them (a waiter makes
        // the flush urgent, and an urgent flush syncs).
        let mut unsynced: Option<Instant> = None;
        loop {
            let mut state = self.lock();
            loop {
                let due = state.queued_since.is_some_and(|since| since.elapsed() >= interval);
                let sync_due = unsynced.is_some_and(|since| state.urgent || since.elapsed() >= sync_interval);
                if state.stopping || (!state.queue.is_empty() && (state.urgent || due)) || sync_due {
                    break;
                }
                let next =
                    [state.queued_since.map(|since| since + interval), unsynced.map(|since| since + sync_interval)];
                state = match next.into_iter().flatten().min() {
                    None => self.work.wait(state).unwrap_or_else(|p| p.into_inner()),
                    Some(deadline) => {
                        let left = deadline.saturating_duration_since(Instant::now());
                        self.work.wait_timeout(state, left).unwrap_or_else(|p| p.into_inner()).0
                    }
                };
            }
            let (stopping, urgent) = (state.stopping, state.urgent);
            // The emptied queue of the last group goes back, its capacity kept: requests push
            // into it without growing it again.
            let queue = std::mem::replace(&mut state.queue, std::mem::take(&mut spare));
            let upto = state.appended;
            state.queued_since = None;
            state.urgent = false;
            let failed = state.failure.is_some();
            drop(state);
            if failed {
                // A broken trail takes no more writes; what was queued is lost, and counted.
                self.counters.failed(queue.len() as u64);
                if stopping {
                    return;
                }
                continue;
            }
            let records_before = chain.next_seq;
            let size_before = segment.size;
            // Written a piece at a time, while the lines are still in the cache.
            let mut written = Ok(());
            for body in queue.bodies() {
                chain.push_request(&mut data, body, &self.key);
                if data.len() >= WRITE_PIECE && written.is_ok() {
                    written = self.write_out(&mut segment, &mut data, syslog.as_mut());
                }
            }
            if stopping {
                chain.push_checkpoint(&mut data, &self.key, CheckpointReason::Shutdown, 0);
            }
            let grew = segment.size > size_before || !data.is_empty();
            let rotate = grew && segment.size + data.len() as u64 >= self.settings.rotate_size;
            if rotate {
                chain.push_checkpoint(&mut data, &self.key, CheckpointReason::Rotation, 0);
            }
            if written.is_ok() {
                written = self.write_out(&mut segment, &mut data, syslog.as_mut());
            }
            data.clear();
            if written.is_ok() && grew {
                self.counters.written(chain.next_seq - records_before);
                unsynced.get_or_insert_with(Instant::now);
            }
            // A group nobody waits for is synced with a later one, at most `sync_interval` after
            // it was written: a server that only reads syncs the trail once a second rather
            // than at every group (docs/security/audit.md, "Durability and failure").
            let sync = urgent || stopping || rotate || unsynced.is_some_and(|since| since.elapsed() >= sync_interval);
            let synced = written.and_then(|()| match unsynced {
                Some(_) if sync => {
                    segment.sync(chain.next_seq - 1, &chain.last_hash(), &self.key, rotate || stopping)?;
                    if rotate { segment.rotate(dir) } else { Ok(()) }
                }
                _ => Ok(()),
            });
            match synced {
                Ok(()) if sync => {
                    unsynced = None;
                    self.progress.send_modify(|p| p.durable = upto);
                }
                Ok(()) => {}
                Err(error) => self.fail(&error.to_string(), queue.len() as u64),
            }
            // The buffers are kept for the next group, not after a burst: grown huge, they are let go.
            if queue.bodies.capacity() <= 4 << 20 {
                spare = queue;
                spare.clear();
            }
            if stopping {
                return;
            }
        }
    }

    /// Appends `data` to the segment (and its syslog copy), and empties it.
    fn write_out(
        &self,
        segment: &mut Segment,
        data: &mut Vec<u8>,
        syslog: Option<&mut SyslogCopy>,
    ) -> std::io::Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        segment.append(data)?;
        if let Some(syslog) = syslog {
            let millis = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
            syslog.forward(data, &time_of(u64::try_from(millis).unwrap_or(u64::MAX)));
        }
        data.clear();
        Ok(())
    }

    /// What `append` answers once the trail has failed: the records are counted as lost; the
    /// request is refused when the trail fails closed.
    fn refuse(&self, records: usize) -> Result<u64, AuditUnavailable> {
        self.counters.failed(records as u64);
        if self.settings.fail_closed {
            return Err(AuditUnavailable(self.lock().failure.clone().unwrap_or_default()));
        }
        Ok(0)
    }

    fn fail(&self, error: &str, records: u64) {
        let closed = self.settings.fail_closed;
        tracing::error!(
            %error,
            records,
            fail_mode = if closed { "closed" } else { "open" },
            "AUDIT TRAIL WRITE FAILED: {}",
            if closed { "every request is refused until the server restarts" } else { "records are being dropped" }
        );
        self.counters.failed(records);
        let message = format!("writing the audit trail failed: {error}");
        self.lock().failure = Some(message.clone());
        self.failed.store(true, Ordering::Release);
        self.progress.send_modify(|p| p.failure = Some(message.into()));
    }
}

impl Segment {
    /// Writes lines after the last (to the page cache: they survive the server's end, not the
    /// machine's).
    fn append(&mut self, data: &[u8]) -> std::io::Result<()> {
        self.file.write_all(data)?;
        self.size += data.len() as u64;
        Ok(())
    }

    /// Makes what was written durable, then names its last line in the head file (fsynced too
    /// when `sync_head`). The head never names a line that is not on disk.
    fn sync(&mut self, upto: u64, hash: &str, key: &AuditMacKey, sync_head: bool) -> std::io::Result<()> {
        self.file.sync_data()?;
        let head = Head::new(upto, hash.to_string(), files::segment_name(self.number), key);
        self.head.write(&head, sync_head)
    }

    /// Starts the next segment: the old one ends with its rotation checkpoint.
    fn rotate(&mut self, dir: &Path) -> std::io::Result<()> {
        let number = self.number + 1;
        let (file, size) = files::open_segment(&dir.join(files::segment_name(number)))?;
        files::sync_dir(dir)?;
        (self.file, self.number, self.size) = (file, number, size);
        tracing::info!(file = %files::segment_name(number), "audit trail rotated");
        Ok(())
    }
}
