//! A file sealed under a passphrase, for backups an operator wants to carry somewhere the KEK is
//! not: PBKDF2-HMAC-SHA256 stretches the passphrase into an AES-256-GCM key, and the content is
//! cut into chunks sealed one by one in the STREAM construction (Hoang, Reyhanitabar, Rogaway,
//! Vizár, "Online Authenticated-Encryption and its Nonce-Reuse Misuse-Resistance", 2015): each
//! chunk's nonce is a random prefix, the chunk's number and a flag marking the last, so chunks
//! cannot be reordered, dropped, or cut off at the end without the opening failing.
//!
//! PBKDF2 rather than a memory-hard function: it is the FIPS 140-approved choice (SP 800-132), in
//! aws-lc-rs already; 600,000 iterations is OWASP's current figure for PBKDF2-HMAC-SHA256.
//!
//! Layout: `KWPASS01` | u32 iterations | 16-byte salt | 7-byte nonce prefix | chunks, each a u32
//! length (of the sealed chunk, tag included) then the sealed chunk. The header is the associated
//! data of every chunk.

use std::io::{self, Read, Write};

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead, KeyInit, Payload};

type Nonce = aes_gcm::aead::Nonce<Aes256Gcm>;
use zeroize::Zeroizing;

use crate::hash::HashAlgorithm;
use crate::{CryptoError, CryptoResult, kdf, random_bytes};

const MAGIC: &[u8; 8] = b"KWPASS01";
/// OWASP Password Storage Cheat Sheet, PBKDF2-HMAC-SHA256.
pub const DEFAULT_ITERATIONS: u32 = 600_000;
/// Fewer is refused when opening: a file claiming one iteration would make guessing cheap.
const MIN_ITERATIONS: u32 = 100_000;
const MAX_ITERATIONS: u32 = 10_000_000;
const SALT_LEN: usize = 16;
const PREFIX_LEN: usize = 7;
const TAG_LEN: usize = 16;
const HEADER_LEN: usize = MAGIC.len() + 4 + SALT_LEN + PREFIX_LEN;
/// The plaintext of one chunk.
pub const CHUNK: usize = 64 * 1024;

/// True when `start` is the beginning of a passphrase-sealed file.
pub fn is_sealed(start: &[u8]) -> bool {
    start.starts_with(MAGIC)
}

fn cipher(passphrase: &[u8], salt: &[u8], iterations: u32) -> CryptoResult<Aes256Gcm> {
    let key = kdf::pbkdf2(HashAlgorithm::Sha256, passphrase, salt, iterations, 32)?;
    Aes256Gcm::new_from_slice(&key).map_err(|_| CryptoError::failed("AES-256-GCM key"))
}

fn nonce(prefix: &[u8], counter: u32, last: bool) -> Nonce {
    let mut bytes = [0u8; 12];
    bytes[..PREFIX_LEN].copy_from_slice(prefix);
    bytes[PREFIX_LEN..PREFIX_LEN + 4].copy_from_slice(&counter.to_be_bytes());
    bytes[11] = u8::from(last);
    Nonce::from(bytes)
}

/// Seals what is written to it, chunk by chunk, into `out`. [`SealingWriter::finish`] must be
/// called: it seals the last chunk, without which the file does not open.
pub struct SealingWriter<W: Write> {
    out: W,
    cipher: Aes256Gcm,
    header: Vec<u8>,
    prefix: Vec<u8>,
    counter: u32,
    buffer: Zeroizing<Vec<u8>>,
}

impl<W: Write> SealingWriter<W> {
    pub fn new(mut out: W, passphrase: &[u8], iterations: u32) -> CryptoResult<SealingWriter<W>> {
        let salt = random_bytes(SALT_LEN)?;
        let prefix = random_bytes(PREFIX_LEN)?;
        let cipher = cipher(passphrase, &salt, iterations)?;
        let header = [MAGIC.as_slice(), &iterations.to_be_bytes(), &salt, &prefix].concat();
        out.write_all(&header).map_err(|e| CryptoError::failed(e.to_string()))?;
        Ok(SealingWriter { out, cipher, header, prefix, counter: 0, buffer: Zeroizing::new(Vec::with_capacity(CHUNK)) })
    }

    fn seal_chunk(&mut self, last: bool) -> io::Result<()> {
        let nonce = nonce(&self.prefix, self.counter, last);
        let sealed = self
            .cipher
            .encrypt(&nonce, Payload { msg: &self.buffer, aad: &self.header })
            .map_err(|_| io::Error::other("sealing failed"))?;
        self.counter = self.counter.checked_add(1).ok_or_else(|| io::Error::other("too many chunks"))?;
        let length = u32::try_from(sealed.len()).map_err(|_| io::Error::other("chunk too long"))?;
        self.out.write_all(&length.to_be_bytes())?;
        self.out.write_all(&sealed)?;
        self.buffer.clear();
        Ok(())
    }

    /// Seals the last chunk and returns the output.
    pub fn finish(mut self) -> io::Result<W> {
        self.seal_chunk(true)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write> Write for SealingWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = CHUNK - self.buffer.len();
        let taken = room.min(data.len());
        self.buffer.extend_from_slice(&data[..taken]);
        if self.buffer.len() == CHUNK {
            self.seal_chunk(false)?;
        }
        Ok(taken)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Opens a whole passphrase-sealed file. Fails, saying no more, when the passphrase is wrong or
/// any byte was changed, removed or added.
pub fn open(mut input: impl Read, passphrase: &[u8]) -> CryptoResult<Zeroizing<Vec<u8>>> {
    let damaged = |what: &str| CryptoError::input(format!("the sealed file is damaged: {what}"));
    let mut header = [0u8; HEADER_LEN];
    input.read_exact(&mut header).map_err(|_| damaged("shorter than its header"))?;
    if !is_sealed(&header) {
        return Err(CryptoError::input("not a passphrase-sealed file"));
    }
    let iterations = u32::from_be_bytes([header[8], header[9], header[10], header[11]]);
    if !(MIN_ITERATIONS..=MAX_ITERATIONS).contains(&iterations) {
        return Err(damaged("the iteration count is out of bounds"));
    }
    let salt = &header[12..12 + SALT_LEN];
    let prefix = &header[12 + SALT_LEN..];
    let cipher = cipher(passphrase, salt, iterations)?;
    let mut plain = Zeroizing::new(Vec::new());
    let mut counter = 0u32;
    loop {
        let mut length = [0u8; 4];
        input.read_exact(&mut length).map_err(|_| damaged("it ends before its last chunk"))?;
        let length = u32::from_be_bytes(length) as usize;
        if !(TAG_LEN..=CHUNK + TAG_LEN).contains(&length) {
            return Err(damaged("a chunk length is out of bounds"));
        }
        let mut sealed = vec![0u8; length];
        input.read_exact(&mut sealed).map_err(|_| damaged("it ends inside a chunk"))?;
        // The last chunk is the one that opens with the last flag; a full chunk may be either.
        let opened_last = cipher.decrypt(&nonce(prefix, counter, true), Payload { msg: &sealed, aad: &header });
        if let Ok(chunk) = opened_last {
            plain.extend_from_slice(&Zeroizing::new(chunk));
            let mut extra = [0u8; 1];
            return match input.read(&mut extra) {
                Ok(0) => Ok(plain),
                _ => Err(damaged("bytes after the last chunk")),
            };
        }
        let chunk = cipher
            .decrypt(&nonce(prefix, counter, false), Payload { msg: &sealed, aad: &header })
            .map_err(|_| CryptoError::VerificationFailed)?;
        plain.extend_from_slice(&Zeroizing::new(chunk));
        counter = counter.checked_add(1).ok_or_else(|| damaged("too many chunks"))?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seal(data: &[u8], passphrase: &[u8]) -> Vec<u8> {
        let mut writer = SealingWriter::new(Vec::new(), passphrase, MIN_ITERATIONS).unwrap();
        writer.write_all(data).unwrap();
        writer.finish().unwrap()
    }

    #[test]
    fn opens_with_the_passphrase_only() {
        for size in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5] {
            let data: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            let sealed = seal(&data, b"correct horse");
            assert!(is_sealed(&sealed));
            assert_eq!(open(sealed.as_slice(), b"correct horse").unwrap().as_slice(), data.as_slice(), "size {size}");
            assert!(open(sealed.as_slice(), b"wrong horse").is_err());
        }
    }

    #[test]
    fn changes_cuts_and_reordering_are_refused() {
        let data = vec![5u8; 2 * CHUNK + 10];
        let sealed = seal(&data, b"pw");
        for position in [0, 9, HEADER_LEN + 2, HEADER_LEN + 100, sealed.len() - 1] {
            let mut bad = sealed.clone();
            bad[position] ^= 1;
            assert!(open(bad.as_slice(), b"pw").is_err(), "flip at {position}");
        }
        // Cut at a chunk boundary: the last-flagged chunk is missing.
        let first_chunk_end = HEADER_LEN + 4 + CHUNK + TAG_LEN;
        assert!(open(&sealed[..first_chunk_end], b"pw").is_err());
        let mut longer = sealed.clone();
        longer.push(0);
        assert!(open(longer.as_slice(), b"pw").is_err());
    }
}
