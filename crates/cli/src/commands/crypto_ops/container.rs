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

use super::cipher::Mode;

const MAGIC: &[u8; 4] = b"KWE1";

/// The parts of an encrypted file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sealed {
    pub mode: Mode,
    pub iv: Vec<u8>,
    pub tag: Vec<u8>,
    pub ciphertext: Vec<u8>,
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

impl Sealed {
    pub fn to_bytes(&self) -> Result<Vec<u8>, ContainerError> {
        let iv_len = u8::try_from(self.iv.len()).map_err(|_| ContainerError::TooLong)?;
        let tag_len = u8::try_from(self.tag.len()).map_err(|_| ContainerError::TooLong)?;
        let mut out = Vec::with_capacity(7 + self.iv.len() + self.tag.len() + self.ciphertext.len());
        out.extend_from_slice(MAGIC);
        out.push(mode_code(self.mode));
        out.push(iv_len);
        out.extend_from_slice(&self.iv);
        out.push(tag_len);
        out.extend_from_slice(&self.tag);
        out.extend_from_slice(&self.ciphertext);
        Ok(out)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Sealed, ContainerError> {
        let rest = bytes.strip_prefix(MAGIC).ok_or(ContainerError::NotAContainer)?;
        let (&mode, rest) = rest.split_first().ok_or(ContainerError::Truncated)?;
        let mode = mode_of(mode)?;
        let (iv, rest) = length_prefixed(rest)?;
        let (tag, ciphertext) = length_prefixed(rest)?;
        Ok(Sealed { mode, iv: iv.to_vec(), tag: tag.to_vec(), ciphertext: ciphertext.to_vec() })
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
    fn a_sealed_file_reads_back_and_its_layout_is_the_documented_one() {
        let sealed = Sealed { mode: Mode::Gcm, iv: vec![1; 12], tag: vec![2; 16], ciphertext: b"cipher".to_vec() };
        let bytes = sealed.to_bytes().unwrap();
        assert_eq!(&bytes[..6], b"KWE1\x01\x0c");
        assert_eq!(bytes[18], 16);
        assert_eq!(&bytes[35..], b"cipher");
        assert_eq!(Sealed::from_bytes(&bytes).unwrap(), sealed);
    }

    #[test]
    fn damaged_files_are_refused() {
        assert_eq!(Sealed::from_bytes(b"plain text"), Err(ContainerError::NotAContainer));
        assert_eq!(Sealed::from_bytes(b"KWE1\x01\x0c\x01"), Err(ContainerError::Truncated));
        assert_eq!(Sealed::from_bytes(b"KWE1\x09\x00\x00"), Err(ContainerError::UnknownMode(9)));
    }
}
