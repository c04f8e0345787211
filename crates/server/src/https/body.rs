//! Request and response bodies. A request body is read whole, but only within
//! `max_message_size` (refused before a byte is read when its announced length is larger) and
//! within `read_timeout` of the request's first byte. Bodies may carry key material: the copies
//! made here are zeroized once used (hyper's and rustls's own buffers are out of our reach).

use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Buf, Incoming};
use tokio::time::Instant;
use zeroize::Zeroizing;

/// Why a request body was not read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BodyError {
    #[error("the body is larger than max_message_size ({limit} bytes)")]
    TooLarge { limit: usize },
    #[error("the body did not arrive in time")]
    TimedOut,
    #[error("reading the body: {0}")]
    Broken(#[from] hyper::Error),
}

/// Reads a request body whole, if it is at most `limit` bytes and arrives before `deadline`.
pub(crate) async fn read(body: Incoming, limit: usize, deadline: Instant) -> Result<Zeroizing<Vec<u8>>, BodyError> {
    // The announced length (Content-Length); nothing has been read yet.
    let announced = body.size_hint().lower();
    let announced = usize::try_from(announced).ok().filter(|&length| length <= limit);
    let Some(announced) = announced else {
        return Err(BodyError::TooLarge { limit });
    };
    match tokio::time::timeout_at(deadline, collect(body, limit, announced)).await {
        Ok(read) => read,
        Err(_) => Err(BodyError::TimedOut),
    }
}

async fn collect(mut body: Incoming, limit: usize, announced: usize) -> Result<Zeroizing<Vec<u8>>, BodyError> {
    // Sized once from the announced length, so that the body is not copied as the buffer grows
    // (a copy left behind would not be zeroized).
    let mut data = Zeroizing::new(Vec::with_capacity(announced));
    while let Some(frame) = body.frame().await {
        // Trailers carry nothing for KMIP; only data frames count.
        let Ok(chunk) = frame?.into_data() else { continue };
        if chunk.len() > limit - data.len() {
            return Err(BodyError::TooLarge { limit });
        }
        data.extend_from_slice(&chunk);
    }
    Ok(data)
}

/// A response body: one buffer, zeroized once sent.
pub(crate) type ResponseBody = Full<SecretBuf>;

/// Bytes handed to hyper that are zeroized when hyper is done with them.
pub(crate) struct SecretBuf {
    bytes: Zeroizing<Vec<u8>>,
    position: usize,
}

impl SecretBuf {
    pub(crate) fn new(bytes: Zeroizing<Vec<u8>>) -> SecretBuf {
        SecretBuf { bytes, position: 0 }
    }
}

impl From<&str> for SecretBuf {
    fn from(text: &str) -> SecretBuf {
        SecretBuf::new(Zeroizing::new(text.as_bytes().to_vec()))
    }
}

impl Buf for SecretBuf {
    fn remaining(&self) -> usize {
        self.bytes.len() - self.position
    }

    fn chunk(&self) -> &[u8] {
        &self.bytes[self.position..]
    }

    fn advance(&mut self, count: usize) {
        // Buf's contract: advancing past the end is the caller's bug; stop at the end rather
        // than let a later chunk() panic.
        self.position = self.position.saturating_add(count).min(self.bytes.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_buf_yields_its_bytes_once() {
        let mut buf = SecretBuf::from("KMIP");
        assert_eq!(buf.remaining(), 4);
        buf.advance(1);
        assert_eq!(buf.chunk(), b"MIP");
        buf.advance(10);
        assert_eq!(buf.remaining(), 0);
        assert_eq!(buf.chunk(), b"");
    }
}
