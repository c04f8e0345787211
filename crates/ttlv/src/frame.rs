//! Reading whole TTLV messages from an async byte stream (feature `tokio`).
//!
//! The eight-byte header is read first and the announced length checked against the limit before
//! the body is read. The buffer then grows with the bytes that actually arrive, never to the
//! announced length at once: a peer that sends only a header announcing the maximum costs a few
//! KiB, not the maximum (128 such connections once held 511 MB until their read timeout). The reader
//! reuses one buffer per stream, and gives back what one large message made it hold.

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

/// The most a body buffer is given before any of the body has arrived; it then at most doubles
/// with each fill, so it never holds more than about twice what the peer has sent.
const FIRST_BODY_ALLOCATION: usize = 16 * 1024;

/// What a reader keeps between messages; a larger buffer left by one big message is given back.
const RETAINED_CAPACITY: usize = 256 * 1024;

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
        if self.buf.capacity() > RETAINED_CAPACITY {
            self.buf.shrink_to(RETAINED_CAPACITY);
        }
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
        self.buf.extend_from_slice(&header);
        let mut filled = HEADER_LEN;
        while filled < total {
            if filled == self.buf.len() {
                let wanted = total.min(filled.saturating_mul(2).max(HEADER_LEN + FIRST_BODY_ALLOCATION));
                grow_zeroizing(&mut self.buf, wanted);
            }
            let end = self.buf.len();
            let n = stream.read(&mut self.buf[filled..end]).await?;
            if n == 0 {
                return Err(FrameError::Truncated(filled));
            }
            filled += n;
        }
        Ok(&self.buf)
    }
}

/// Lengthens `buf` to `len` (zero-filled). When that needs a new allocation, the bytes are moved
/// by hand and the old allocation wiped first: a message may hold key material, and `Vec`'s own
/// growth would leave a copy of it in freed memory.
fn grow_zeroizing(buf: &mut Vec<u8>, len: usize) {
    if len <= buf.capacity() {
        buf.resize(len, 0);
        return;
    }
    let mut grown = Vec::with_capacity(len);
    grown.extend_from_slice(buf);
    grown.resize(len, 0);
    buf.zeroize();
    *buf = grown;
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
    async fn a_header_alone_reserves_little_whatever_it_announces() {
        // A valid header announcing (nearly) the default maximum, then silence and a close.
        let length = u32::try_from(Limits::default().max_message_size - HEADER_LEN).unwrap();
        let mut header = vec![0x42, 0x00, 0x78, 0x01];
        header.extend_from_slice(&length.to_be_bytes());
        let mut stream: &[u8] = &header;
        let mut reader = FrameReader::new();
        assert!(matches!(reader.read(&mut stream, &Limits::default()).await, Err(FrameError::Truncated(8))));
        assert!(reader.buf.capacity() <= HEADER_LEN + FIRST_BODY_ALLOCATION, "{}", reader.buf.capacity());
    }

    #[tokio::test]
    async fn a_large_message_arrives_whole_and_its_buffer_is_given_back() {
        let large = Item::bytes(Tag(0x4200C2), vec![7u8; 3 * 1024 * 1024]).to_ttlv();
        let small = Item::text(Tag(0x420094), "hello").to_ttlv();
        let mut stream: &[u8] = &[large.clone(), small.clone()].concat();
        let mut reader = FrameReader::new();
        let limits = Limits { max_message_size: 4 * 1024 * 1024, ..Limits::default() };
        assert_eq!(reader.read(&mut stream, &limits).await.unwrap(), &large[..]);
        assert_eq!(reader.read(&mut stream, &limits).await.unwrap(), &small[..]);
        assert!(reader.buf.capacity() <= RETAINED_CAPACITY);
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
