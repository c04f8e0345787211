//! The trail's files: `audit-NNNNNNNN.jsonl` segments numbered from 1, and `audit.head`, which
//! names the last durable record so that cutting the end of the trail is noticed.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use keyward_crypto::audit::AuditMacKey;
use serde::{Deserialize, Serialize};

use super::record::{Record, head_message};

/// The head file's name in the audit directory.
pub const HEAD_FILE: &str = "audit.head";

/// The head file is this many bytes, padded with spaces: rewritten in place by one write.
const HEAD_LEN: usize = 320;

/// A segment's name for its number.
pub fn segment_name(number: u64) -> String {
    format!("audit-{number:08}.jsonl")
}

/// The number of a segment's name; `None` for any other file.
pub fn segment_number(name: &str) -> Option<u64> {
    name.strip_prefix("audit-")?.strip_suffix(".jsonl")?.parse().ok()
}

/// The segments of a directory, in order.
pub fn segments(dir: &Path) -> std::io::Result<Vec<(u64, PathBuf)>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if let Some(number) = entry.file_name().to_str().and_then(segment_number) {
            found.push((number, entry.path()));
        }
    }
    found.sort();
    Ok(found)
}

/// What the head file says: the last record made durable, its line's hash and its file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Head {
    pub seq: u64,
    pub hash: String,
    pub file: String,
    /// HMAC-SHA256 under the audit key of the three fields above.
    pub mac: String,
}

impl Head {
    pub fn new(seq: u64, hash: String, file: String, key: &AuditMacKey) -> Head {
        let mac = hex::encode(key.mac(&head_message(seq, &hash, &file)));
        Head { seq, hash, file, mac }
    }

    pub fn mac_valid(&self, key: &AuditMacKey) -> bool {
        hex::decode(&self.mac).is_ok_and(|tag| key.verify(&head_message(self.seq, &self.hash, &self.file), &tag))
    }

    pub fn read(dir: &Path) -> std::io::Result<Option<Head>> {
        let text = match std::fs::read_to_string(dir.join(HEAD_FILE)) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(error),
        };
        serde_json::from_str(text.trim())
            .map(Some)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{HEAD_FILE}: {e}")))
    }
}

/// The head file, open for rewriting in place.
pub struct HeadFile(File);

impl HeadFile {
    pub fn open(dir: &Path) -> std::io::Result<HeadFile> {
        let file = private_options().read(true).write(true).create(true).truncate(false).open(dir.join(HEAD_FILE))?;
        Ok(HeadFile(file))
    }

    /// Rewrites the head with one positioned write of a fixed length, so that it is never seen
    /// half old and half new within a page.
    pub fn write(&self, head: &Head, sync: bool) -> std::io::Result<()> {
        let mut text = serde_json::to_string(head).unwrap_or_default();
        if text.len() + 1 > HEAD_LEN {
            return Err(std::io::Error::other("audit head record too long"));
        }
        text.extend(std::iter::repeat_n(' ', HEAD_LEN - 1 - text.len()));
        text.push('\n');
        self.0.write_all_at(text.as_bytes(), 0)?;
        if sync { self.0.sync_data() } else { Ok(()) }
    }
}

fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Opens a segment to append to (creating it), and its length.
pub fn open_segment(path: &Path) -> std::io::Result<(File, u64)> {
    let file = private_options().append(true).create(true).open(path)?;
    let len = file.metadata()?.len();
    Ok((file, len))
}

/// Makes a new file's name durable.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Where the trail stands in an existing segment: its last complete record and the length of
/// an incomplete line after it (a write a crash cut short), which is removed.
pub struct Tail {
    /// The record and its line's hash, hexadecimal.
    pub last: Option<(Record, [u8; 64])>,
    pub discarded_bytes: usize,
}

/// Reads the last record of a segment, cutting off an incomplete last line.
pub fn recover_tail(path: &Path) -> std::io::Result<Tail> {
    let mut file = OpenOptions::new().read(true).write(true).open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{}: not a regular file", path.display()),
        ));
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    let complete = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |p| p + 1);
    let discarded_bytes = bytes.len() - complete;
    if discarded_bytes > 0 {
        file.set_len(complete as u64)?;
        file.seek(SeekFrom::End(0))?;
        file.flush()?;
        file.sync_data()?;
    }
    let body = &bytes[..complete];
    let last_line = body.strip_suffix(b"\n").and_then(|b| b.split(|c| *c == b'\n').next_back());
    let last = match last_line {
        Some(line) if !line.is_empty() => {
            let record: Record = serde_json::from_slice(line).map_err(|e| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{}: the last record cannot be read: {e}", path.display()),
                )
            })?;
            Some((record, super::record::line_hash_hex(line)))
        }
        _ => None,
    };
    Ok(Tail { last, discarded_bytes })
}
