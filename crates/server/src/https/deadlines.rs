//! The time limits of an HTTPS connection, enforced on its byte stream.
//!
//! hyper reads and writes the stream and only tells us when a request's header is complete (the
//! service is called) and when its answer is ready (the service returns). Between those, the
//! stream wrapper below applies the limit of the phase the connection is in:
//!
//! | phase | from | limit | when it runs out |
//! | --- | --- | --- | --- |
//! | idle | the last answer (or the handshake) | `idle_timeout` | the stream reports its end: hyper closes quietly |
//! | header | the first byte of a request | `read_timeout` | a `TimedOut` error ends the connection |
//! | busy | the complete header | none here: the service bounds the body by `read_timeout` from the same first byte, and the dispatcher is not interrupted | |
//!
//! Writes have their own limit: a response that the client stops taking must be sent within
//! `write_timeout` of the first write that had to wait.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

use crate::limits::LimitsConfig;

/// Where a connection is between requests, shared by its stream (which sees bytes arrive) and its
/// service (which sees requests start and end).
pub(crate) struct Activity {
    phase: Mutex<Phase>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Waiting for the first byte of the next request.
    Idle { since: Instant },
    /// A request's first bytes have arrived, its header is not complete.
    Header { since: Instant },
    /// The service is running a request.
    Busy,
}

/// What a waiting read is waiting for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Awaited {
    NextRequest,
    RestOfHeader,
}

impl Activity {
    pub(crate) fn new() -> Arc<Activity> {
        Arc::new(Activity { phase: Mutex::new(Phase::Idle { since: Instant::now() }) })
    }

    fn phase(&self) -> std::sync::MutexGuard<'_, Phase> {
        // The lock guards a plain value that is always whole: a panic elsewhere cannot leave it
        // half-written.
        self.phase.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A request's header is complete and the service runs it. The returned guard marks the
    /// connection idle again when it is dropped, that is when the answer is ready.
    pub(crate) fn request_started(self: &Arc<Activity>) -> InFlight {
        let mut phase = self.phase();
        // A header that arrived with the previous request (pipelined) has no first byte of its
        // own on record: its time starts now.
        let first_byte = match *phase {
            Phase::Header { since } => since,
            Phase::Idle { .. } | Phase::Busy => Instant::now(),
        };
        *phase = Phase::Busy;
        InFlight { activity: Arc::clone(self), first_byte }
    }

    fn bytes_arrived(&self) {
        let mut phase = self.phase();
        if let Phase::Idle { .. } = *phase {
            *phase = Phase::Header { since: Instant::now() };
        }
    }

    /// When a read that is waiting now must give up, and what it is waiting for.
    fn read_deadline(&self, idle_timeout: Duration, read_timeout: Duration) -> Option<(Instant, Awaited)> {
        match *self.phase() {
            Phase::Idle { since } => Some((since + idle_timeout, Awaited::NextRequest)),
            Phase::Header { since } => Some((since + read_timeout, Awaited::RestOfHeader)),
            Phase::Busy => None,
        }
    }
}

/// A request being run; see [`Activity::request_started`].
pub(crate) struct InFlight {
    activity: Arc<Activity>,
    /// When the request's first byte arrived: its read time counts from there.
    pub(crate) first_byte: Instant,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        *self.activity.phase() = Phase::Idle { since: Instant::now() };
    }
}

/// A stream with the connection's time limits.
pub(crate) struct Deadlines<S> {
    inner: S,
    activity: Arc<Activity>,
    idle_timeout: Duration,
    read_timeout: Duration,
    write_timeout: Duration,
    /// The deadline of the waiting read, reset as the phase changes.
    read_timer: Pin<Box<Sleep>>,
    /// The deadline of the response being written, armed by the first write that has to wait and
    /// cleared once everything written has been flushed.
    write_timer: Option<Pin<Box<Sleep>>>,
    /// The idle timeout ran out: the stream has ended as far as hyper is concerned.
    idle_expired: bool,
}

impl<S> Deadlines<S> {
    pub(crate) fn new(inner: S, activity: Arc<Activity>, limits: &LimitsConfig) -> Deadlines<S> {
        Deadlines {
            inner,
            activity,
            idle_timeout: limits.idle_timeout,
            read_timeout: limits.read_timeout,
            write_timeout: limits.write_timeout,
            read_timer: Box::pin(tokio::time::sleep(limits.idle_timeout)),
            write_timer: None,
            idle_expired: false,
        }
    }

    /// Decides what a read that found nothing to read does: wait, or give up because its phase's
    /// time has run out.
    fn wait_for_read(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some((deadline, awaited)) = self.activity.read_deadline(self.idle_timeout, self.read_timeout) else {
            return Poll::Pending;
        };
        if self.read_timer.deadline() != deadline {
            self.read_timer.as_mut().reset(deadline);
        }
        if self.read_timer.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        match awaited {
            Awaited::NextRequest => {
                tracing::debug!("idle timeout");
                self.idle_expired = true;
                Poll::Ready(Ok(()))
            }
            Awaited::RestOfHeader => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("request header not complete after {:?}", self.read_timeout),
            ))),
        }
    }

    /// Passes a write's outcome on, applying the write timeout to writes that wait. `drained`
    /// says the call was a flush or a shutdown: once it succeeds, nothing written is pending.
    fn watch_write<T>(
        &mut self,
        cx: &mut Context<'_>,
        outcome: Poll<io::Result<T>>,
        drained: bool,
    ) -> Poll<io::Result<T>> {
        if outcome.is_ready() {
            if drained {
                self.write_timer = None;
            }
            return outcome;
        }
        let write_timeout = self.write_timeout;
        let timer = self.write_timer.get_or_insert_with(|| Box::pin(tokio::time::sleep(write_timeout)));
        match timer.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("response not taken after {write_timeout:?}"),
            ))),
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Deadlines<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.idle_expired {
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.activity.bytes_arrived();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => this.wait_for_read(cx),
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Deadlines<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let outcome = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.watch_write(cx, outcome, false)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let outcome = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.watch_write(cx, outcome, false)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let outcome = Pin::new(&mut this.inner).poll_flush(cx);
        this.watch_write(cx, outcome, true)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let outcome = Pin::new(&mut this.inner).poll_shutdown(cx);
        this.watch_write(cx, outcome, true)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    fn limits() -> LimitsConfig {
        LimitsConfig {
            idle_timeout: Duration::from_secs(300),
            read_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(10),
            ..LimitsConfig::default()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_stream_ends_after_the_idle_timeout_not_the_read_timeout() {
        let (_client, server) = tokio::io::duplex(64);
        let mut stream = Deadlines::new(server, Activity::new(), &limits());
        let started = Instant::now();
        let mut buf = [0; 8];
        assert_eq!(stream.read(&mut buf).await.unwrap(), 0, "the end of the stream");
        assert_eq!(started.elapsed(), Duration::from_secs(300));
        assert_eq!(stream.read(&mut buf).await.unwrap(), 0, "and it stays ended");
    }

    #[tokio::test(start_paused = true)]
    async fn a_header_must_be_complete_within_the_read_timeout_of_its_first_byte() {
        let (mut client, server) = tokio::io::duplex(64);
        let mut stream = Deadlines::new(server, Activity::new(), &limits());
        tokio::time::sleep(Duration::from_secs(200)).await;
        client.write_all(b"POST /km").await.unwrap();
        let mut buf = [0; 64];
        assert_eq!(stream.read(&mut buf).await.unwrap(), 8);
        let first_byte = Instant::now();
        let error = stream.read(&mut buf).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        assert_eq!(first_byte.elapsed(), Duration::from_secs(30));
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_in_progress_has_no_read_deadline_and_idles_afterwards() {
        let (mut client, server) = tokio::io::duplex(64);
        let activity = Activity::new();
        let mut stream = Deadlines::new(server, Arc::clone(&activity), &limits());
        client.write_all(b"POST /kmip HTTP/1.1\r\n\r\n").await.unwrap();
        let mut buf = [0; 64];
        assert!(stream.read(&mut buf).await.unwrap() > 0);
        tokio::time::sleep(Duration::from_secs(20)).await;
        let in_flight = activity.request_started();
        assert_eq!(in_flight.first_byte.elapsed(), Duration::from_secs(20), "the time counts from the first byte");
        let waiting = tokio::time::timeout(Duration::from_secs(3600), stream.read(&mut buf)).await;
        assert!(waiting.is_err(), "a busy connection's read waits as long as it takes");
        drop(in_flight);
        let idle_from = Instant::now();
        assert_eq!(stream.read(&mut buf).await.unwrap(), 0);
        assert_eq!(idle_from.elapsed(), Duration::from_secs(300));
    }

    #[tokio::test(start_paused = true)]
    async fn a_response_nobody_takes_fails_after_the_write_timeout() {
        let (_client, server) = tokio::io::duplex(16);
        let mut stream = Deadlines::new(server, Activity::new(), &limits());
        let started = Instant::now();
        let error = stream.write_all(&[0; 64]).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        assert_eq!(started.elapsed(), Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn the_write_timeout_is_cleared_by_a_completed_flush() {
        let (mut client, server) = tokio::io::duplex(16);
        let mut stream = Deadlines::new(server, Activity::new(), &limits());
        let reader = tokio::spawn(async move {
            let mut all = Vec::new();
            let mut buf = [0; 16];
            for _ in 0..4 {
                tokio::time::sleep(Duration::from_secs(4)).await;
                let n = client.read(&mut buf).await.unwrap();
                all.extend_from_slice(&buf[..n]);
            }
            all
        });
        // Two responses, each taken within the limit although together they take longer.
        for _ in 0..2 {
            stream.write_all(&[7; 16]).await.unwrap();
            stream.write_all(&[7; 16]).await.unwrap();
            stream.flush().await.unwrap();
        }
        assert_eq!(reader.await.unwrap().len(), 64);
    }
}
