//! Reading an input file in pieces: a large file goes to the server in parts of [`PART_SIZE`]
//! bytes, so that no request nears the server's message size limit (4 MiB by default) and the
//! client never holds the whole file. A file of several parts shows a progress bar on standard
//! error while it is read, when that is a terminal (never in a pipe or a script's log).

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use keyward_client::{Session, SessionError, Step};
use keyward_kmip::{Bytes, KmipVersion};
use zeroize::Zeroizing;

use crate::commands::client_error::CliError;

/// The data carried by one request of a streamed operation.
pub const PART_SIZE: usize = 1024 * 1024;

/// The bytes of a file still to send, read in order.
pub struct Chunks {
    file: File,
    path: PathBuf,
    remaining: u64,
    /// Bytes read so far, shown for a file of several parts (hidden otherwise).
    progress: ProgressBar,
}

impl Chunks {
    /// The next `remaining` bytes of `file` (already positioned where they start).
    pub fn new(file: File, path: &Path, remaining: u64) -> Chunks {
        let progress = if remaining > PART_SIZE as u64 {
            // indicatif draws nothing when standard error is not a terminal.
            let bar = ProgressBar::with_draw_target(Some(remaining), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {eta}");
            if let Ok(style) = style {
                bar.set_style(style);
            }
            bar
        } else {
            ProgressBar::hidden()
        };
        Chunks { file, path: path.to_path_buf(), remaining, progress }
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
        self.progress.inc(len as u64);
        if self.remaining == 0 {
            self.progress.finish_and_clear();
        }
        Ok(buffer)
    }
}

impl Drop for Chunks {
    /// A failure part way leaves no half-drawn bar behind the error message.
    fn drop(&mut self) {
        self.progress.finish_and_clear();
    }
}

/// Whether `len` bytes go in parts: more than one part's worth, to a server that streams.
pub fn streamed(session: &Session, len: u64) -> bool {
    len > PART_SIZE as u64 && session.version() >= KmipVersion::V1_3
}

pub fn no_correlation() -> CliError {
    CliError::from(SessionError::Unexpected("a part answered without a Correlation Value".into()))
}

/// Sends every remaining byte in parts of [`PART_SIZE`]: `send` gets each part's data, its step
/// (the first starts the stream, the last ends it) and whether it is the last; `correlation`
/// reads the Correlation Value for the next part from an answer. Returns the last answer.
pub async fn in_parts<T>(
    chunks: &mut Chunks,
    mut send: impl AsyncFnMut(&[u8], Step<'_>, bool) -> Result<T, CliError>,
    correlation: impl Fn(&mut T) -> Option<Bytes>,
) -> Result<T, CliError> {
    let mut previous: Option<Bytes> = None;
    loop {
        let data = chunks.next(PART_SIZE)?;
        let last = chunks.remaining() == 0;
        let step = match &previous {
            None => Step::First,
            Some(value) => Step::Next { correlation: value.as_slice(), last },
        };
        let mut answer = send(&data, step, last).await?;
        if last {
            return Ok(answer);
        }
        previous = Some(correlation(&mut answer).ok_or_else(no_correlation)?);
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
    fn a_file_of_several_parts_counts_its_progress() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("large");
        let len = 2 * PART_SIZE + 10;
        std::fs::write(&path, vec![7u8; len]).unwrap();
        let (file, size) = open(&path).unwrap();
        let mut chunks = Chunks::new(file, &path, size);
        assert_eq!(chunks.progress.length(), Some(len as u64));
        chunks.next(PART_SIZE).unwrap();
        assert_eq!(chunks.progress.position(), PART_SIZE as u64);
        let (file, size) = open(&path).unwrap();
        assert!(Chunks::new(file, &path, size.min(10)).progress.is_hidden(), "one part: no bar");
    }

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
