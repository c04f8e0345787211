//! The file `keyward encrypt` writes unless asked for raw output: everything decryption needs but
//! the key and any additional authenticated data, in one file.
//!
//! ```text
//! offset  size  field
//! 0       4     "KWE1" (magic and version)
//! 4       1     mode: 1 GCM, 2 CBC with PKCS#7 padding, 3 CTR
//! 5       1     IV length n
//! 6       n     IV (or nonce, or initial counter block)
//! 6+n     1     tag length t (0 for CBC and CTR)
//! 7+n     t     authentication tag
//! 7+n+t   ...   ciphertext
//! ```
//!
//! The tag comes before the ciphertext although it is known only at the end of a streamed
//! encryption: the writer leaves room for it and fills it in last, so the reader can check the
//! whole file with one pass.

use super::cipher::Mode;

const MAGIC: &[u8; 4] = b"KWE1";

/// The longest header: magic, mode, two lengths, and an IV and a tag of 255 bytes each.
pub const MAX_HEADER: usize = 4 + 1 + 1 + 255 + 1 + 255;

/// What precedes the ciphertext.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub mode: Mode,
    pub iv: Vec<u8>,
    pub tag: Vec<u8>,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ContainerError {
    #[error("not a file written by keyward encrypt (no KWE1 header); for raw ciphertext give --iv-file and --mode")]
    NotAContainer,
    #[error("the encrypted file is cut short")]
    Truncated,
    #[error("the encrypted file names an unknown mode {0}")]
    UnknownMode(u8),
    #[error("an IV or tag longer than 255 bytes cannot be stored")]
    TooLong,
}

fn mode_code(mode: Mode) -> u8 {
    match mode {
        Mode::Gcm => 1,
        Mode::Cbc => 2,
        Mode::Ctr => 3,
    }
}

fn mode_of(code: u8) -> Result<Mode, ContainerError> {
    match code {
        1 => Ok(Mode::Gcm),
        2 => Ok(Mode::Cbc),
        3 => Ok(Mode::Ctr),
        other => Err(ContainerError::UnknownMode(other)),
    }
}

impl Header {
    pub fn to_bytes(&self) -> Result<Vec<u8>, ContainerError> {
        let iv_len = u8::try_from(self.iv.len()).map_err(|_| ContainerError::TooLong)?;
        let tag_len = u8::try_from(self.tag.len()).map_err(|_| ContainerError::TooLong)?;
        let mut out = Vec::with_capacity(7 + self.iv.len() + self.tag.len());
        out.extend_from_slice(MAGIC);
        out.push(mode_code(self.mode));
        out.push(iv_len);
        out.extend_from_slice(&self.iv);
        out.push(tag_len);
        out.extend_from_slice(&self.tag);
        Ok(out)
    }

    /// Where the tag starts in the file.
    pub fn tag_offset(&self) -> u64 {
        7 + self.iv.len() as u64
    }

    /// Reads a header from the start of a file; returns it and its length (where the ciphertext
    /// starts).
    pub fn parse(bytes: &[u8]) -> Result<(Header, usize), ContainerError> {
        let rest = bytes.strip_prefix(MAGIC).ok_or(ContainerError::NotAContainer)?;
        let (&mode, rest) = rest.split_first().ok_or(ContainerError::Truncated)?;
        let mode = mode_of(mode)?;
        let (iv, rest) = length_prefixed(rest)?;
        let (tag, rest) = length_prefixed(rest)?;
        let header = Header { mode, iv: iv.to_vec(), tag: tag.to_vec() };
        Ok((header, bytes.len() - rest.len()))
    }
}

/// A one-byte length, that many bytes, and the rest.
fn length_prefixed(bytes: &[u8]) -> Result<(&[u8], &[u8]), ContainerError> {
    let (&len, rest) = bytes.split_first().ok_or(ContainerError::Truncated)?;
    let len = usize::from(len);
    if rest.len() < len {
        return Err(ContainerError::Truncated);
    }
    Ok(rest.split_at(len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_reads_back_and_its_layout_is_the_documented_one() {
        let header = Header { mode: Mode::Gcm, iv: vec![1; 12], tag: vec![2; 16] };
        let mut file = header.to_bytes().unwrap();
        assert_eq!(&file[..6], b"KWE1\x01\x0c");
        assert_eq!(file[18], 16);
        assert_eq!(header.tag_offset(), 19);
        file.extend_from_slice(b"cipher");
        let (read, len) = Header::parse(&file).unwrap();
        assert_eq!(read, header);
        assert_eq!(&file[len..], b"cipher");
        let cbc = Header { mode: Mode::Cbc, iv: vec![3; 16], tag: Vec::new() };
        assert_eq!(Header::parse(&cbc.to_bytes().unwrap()).unwrap(), (cbc, 23));
    }

    #[test]
    fn damaged_files_are_refused() {
        assert_eq!(Header::parse(b"plain text"), Err(ContainerError::NotAContainer));
        assert_eq!(Header::parse(b"KWE1\x01\x0c\x01"), Err(ContainerError::Truncated));
        assert_eq!(Header::parse(b"KWE1\x09\x00\x00"), Err(ContainerError::UnknownMode(9)));
        let long = Header { mode: Mode::Ctr, iv: vec![0; 256], tag: Vec::new() };
        assert_eq!(long.to_bytes(), Err(ContainerError::TooLong));
    }
}
