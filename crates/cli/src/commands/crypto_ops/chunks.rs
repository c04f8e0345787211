//! Reading an input file in pieces: a large file goes to the server in parts of [`PART_SIZE`]
//! bytes, so that no request nears the server's message size limit (4 MiB by default) and the
//! client never holds the whole file.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::commands::client_error::CliError;

/// The data carried by one request of a streamed operation.
pub const PART_SIZE: usize = 1024 * 1024;

/// The bytes of a file still to send, read in order.
pub struct Chunks {
    file: File,
    path: PathBuf,
    remaining: u64,
}

impl Chunks {
    /// The next `remaining` bytes of `file` (already positioned where they start).
    pub fn new(file: File, path: &Path, remaining: u64) -> Chunks {
        Chunks { file, path: path.to_path_buf(), remaining }
    }

    pub fn remaining(&self) -> u64 {
        self.remaining
    }

    /// The next piece of at most `max` bytes (every remaining byte when `max` is larger), in a
    /// buffer zeroized on drop. A file that shrinks while it is read is an I/O error.
    pub fn next(&mut self, max: usize) -> Result<Zeroizing<Vec<u8>>, CliError> {
        let len = usize::try_from(self.remaining).map_or(max, |remaining| remaining.min(max));
        let mut buffer = Zeroizing::new(vec![0; len]);
        self.file.read_exact(&mut buffer).map_err(|error| CliError::io(&self.path, error))?;
        self.remaining -= len as u64;
        Ok(buffer)
    }
}

/// Opens a file to read and gives its length.
pub fn open(path: &Path) -> Result<(File, u64), CliError> {
    let file = File::open(path).map_err(|error| CliError::io(path, error))?;
    let len = file.metadata().map_err(|error| CliError::io(path, error))?.len();
    Ok((file, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_comes_in_pieces_of_at_most_the_size_asked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data");
        std::fs::write(&path, b"abcdefg").unwrap();
        let (file, len) = open(&path).unwrap();
        let mut chunks = Chunks::new(file, &path, len);
        assert_eq!(&*chunks.next(3).unwrap(), b"abc");
        assert_eq!(&*chunks.next(3).unwrap(), b"def");
        assert_eq!(chunks.remaining(), 1);
        assert_eq!(&*chunks.next(3).unwrap(), b"g");
        assert_eq!(chunks.remaining(), 0);
        assert_eq!(open(&dir.path().join("absent")).err().map(|e| e.exit_code()), Some(4));
    }
}
