//! Reading whole TTLV messages from an async byte stream (feature `tokio`).
//!
//! The eight-byte header is read first and the announced length checked against the limit before
//! the body is read, so a hostile header costs nothing. The reader reuses one buffer per stream.

use tokio::io::{AsyncRead, AsyncReadExt};
use zeroize::Zeroize;

use crate::{DecodeError, HEADER_LEN, Limits, message_length};

/// What can go wrong while reading a frame.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The peer closed the stream before the first byte of a message: a normal end.
    #[error("connection closed")]
    Closed,
    /// The peer closed the stream in the middle of a message.
    #[error("connection closed inside a message ({0} bytes read)")]
    Truncated(usize),
    /// The header is invalid or announces more than the limit; the stream cannot be trusted to be
    /// in step any more.
    #[error(transparent)]
    Header(#[from] DecodeError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Reads TTLV messages from a stream, one at a time, into a reusable buffer.
#[derive(Default)]
pub struct FrameReader {
    buf: Vec<u8>,
}

impl FrameReader {
    pub fn new() -> FrameReader {
        FrameReader { buf: Vec::new() }
    }

    /// Reads the next whole message (header and body); the returned slice is valid until the next
    /// call. The message is not decoded: pass it to [`crate::decode`].
    pub async fn read<'s, R: AsyncRead + Unpin>(
        &'s mut self,
        stream: &mut R,
        limits: &Limits,
    ) -> Result<&'s [u8], FrameError> {
        self.buf.as_mut_slice().zeroize();
        self.buf.clear();
        let mut header = [0u8; HEADER_LEN];
        let mut filled = 0;
        while filled < HEADER_LEN {
            let n = stream.read(&mut header[filled..]).await?;
            if n == 0 {
                return Err(if filled == 0 { FrameError::Closed } else { FrameError::Truncated(filled) });
            }
            filled += n;
        }
        let total = message_length(&header, limits)?;
        self.buf.reserve(total);
        self.buf.extend_from_slice(&header);
        self.buf.resize(total, 0);
        let mut filled = HEADER_LEN;
        while filled < total {
            let n = stream.read(&mut self.buf[filled..total]).await?;
            if n == 0 {
                return Err(FrameError::Truncated(filled));
            }
            filled += n;
        }
        Ok(&self.buf)
    }
}

impl Drop for FrameReader {
    fn drop(&mut self) {
        self.buf.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Item, Tag};

    #[tokio::test]
    async fn reads_messages_back_to_back_and_ends_cleanly() {
        let first = Item::structure(Tag(0x420078), vec![Item::integer(Tag(0x42000D), 1)]).to_ttlv();
        let second = Item::text(Tag(0x420094), "hello").to_ttlv();
        let mut stream: &[u8] = &[first.clone(), second.clone()].concat();
        let mut reader = FrameReader::new();
        let limits = Limits::default();
        assert_eq!(reader.read(&mut stream, &limits).await.unwrap(), &first[..]);
        assert_eq!(reader.read(&mut stream, &limits).await.unwrap(), &second[..]);
        assert!(matches!(reader.read(&mut stream, &limits).await, Err(FrameError::Closed)));
    }

    #[tokio::test]
    async fn refuses_an_oversized_header_before_reading_the_body() {
        let mut stream: &[u8] = &[0x42, 0x00, 0x78, 0x01, 0xFF, 0xFF, 0xFF, 0xF8];
        let mut reader = FrameReader::new();
        let result = reader.read(&mut stream, &Limits::default()).await;
        assert!(matches!(result, Err(FrameError::Header(_))));
    }

    #[tokio::test]
    async fn reports_a_message_cut_short() {
        let message = Item::text(Tag(0x420094), "hello").to_ttlv();
        let mut stream: &[u8] = &message[..12];
        let mut reader = FrameReader::new();
        assert!(matches!(reader.read(&mut stream, &Limits::default()).await, Err(FrameError::Truncated(12))));
        let mut stream: &[u8] = &message[..3];
        assert!(matches!(reader.read(&mut stream, &Limits::default()).await, Err(FrameError::Truncated(3))));
    }
}
