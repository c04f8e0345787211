//! `GET /v1/backup` (administrators): a consistent backup of the running store, streamed as it
//! is written (the format is keyward_store::backup). The store takes its snapshot and writes on a
//! blocking thread; the chunks reach the connection through a small channel, so a slow client
//! holds one thread and a few chunks, never the store (the snapshot's gate is released before the
//! first byte is written) and never the whole backup in memory twice.

use std::io::{self, Write};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame};
use tokio::sync::mpsc;

use super::{ApiError, Call, Reply};

/// The media type of a backup.
pub(crate) const MEDIA_TYPE: &str = "application/vnd.keyward.backup";
/// The size of a chunk sent to the connection, and how many may wait in the channel.
const CHUNK: usize = 64 * 1024;
const CHUNKS_IN_FLIGHT: usize = 8;

pub(super) async fn create(call: &Call<'_>) -> Result<Reply, ApiError> {
    call.require_administrator()?;
    let services = call.shared.dispatcher.services();
    let store = Arc::clone(&services.store);
    let created = services.clock.now();
    let caller = call.caller.name.clone();
    let (sender, mut receiver) = mpsc::channel(CHUNKS_IN_FLIGHT);
    tokio::task::spawn_blocking(move || {
        let mut out = ChannelWriter { sender, buffer: Vec::with_capacity(CHUNK) };
        let written = store.backup(created, &mut out).and_then(|manifest| Ok((manifest, out.flush()?)));
        match written {
            Ok((manifest, ())) => {
                tracing::info!(%caller, objects = manifest.objects, settings = manifest.settings, "backup written");
            }
            Err(error) => {
                tracing::error!(%caller, %error, "backup failed");
                // The connection ends without the trailer: the client sees a failed backup.
                let _ = out.sender.blocking_send(Err(io::Error::other(error.to_string())));
            }
        }
    });
    // Nothing is sent before the first chunk: a store that cannot back up is told as a refusal.
    let first = match receiver.recv().await {
        Some(Ok(chunk)) => chunk,
        Some(Err(error)) => return Err(ApiError::new(hyper::StatusCode::NOT_IMPLEMENTED, error.to_string())),
        None => return Err(ApiError::internal("the backup ended before its first byte")),
    };
    let body = ChannelBody { first: Some(first), receiver };
    Ok(Reply::Stream { content_type: MEDIA_TYPE, body: body.boxed() })
}

/// A writer that sends what it is given, in chunks, to the connection's task.
struct ChannelWriter {
    sender: mpsc::Sender<io::Result<Bytes>>,
    buffer: Vec<u8>,
}

impl ChannelWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK)));
        self.sender.blocking_send(Ok(chunk)).map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client left"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

/// The response body: the chunks as they arrive; an error ends the connection mid-body.
struct ChannelBody {
    first: Option<Bytes>,
    receiver: mpsc::Receiver<io::Result<Bytes>>,
}

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        if let Some(first) = self.first.take() {
            return Poll::Ready(Some(Ok(Frame::data(first))));
        }
        self.receiver.poll_recv(cx).map(|chunk| chunk.map(|chunk| chunk.map(Frame::data)))
    }
}
