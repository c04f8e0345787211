//! Checking a trail: the chain of hashes line by line and across files, the sequence numbers,
//! the rotation checkpoint that ends every file but the last, the checkpoints' MACs and the head
//! file (with the audit key), and what the head names against where the trail ends.
//!
//! Without the key only the chain and the head's hash are checked: someone who rewrites a record
//! and recomputes every later hash and the head is then not noticed. With it, such a rewrite
//! breaks the next checkpoint's MAC (or the head's, after the last checkpoint).

use std::path::{Path, PathBuf};

use keyward_crypto::audit::AuditMacKey;

use super::files::{self, HEAD_FILE, Head};
use super::record::{CheckpointReason, GENESIS, KIND_CHECKPOINT, KIND_REQUEST, Record, line_hash};

/// A trail that checked out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verified {
    pub files: usize,
    pub records: u64,
    pub checkpoints: u64,
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    /// Whether the checkpoints' and the head's MACs were checked (a key was given).
    pub macs_checked: bool,
    /// What the check could not establish, for the reader.
    pub notes: Vec<String>,
}

/// The first bad place of a trail.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {what}", file.display(), place(*line, *seq))]
pub struct Broken {
    pub file: PathBuf,
    /// 1-based; 0 when the problem is the file as a whole.
    pub line: usize,
    pub seq: Option<u64>,
    pub what: String,
}

fn place(line: usize, seq: Option<u64>) -> String {
    match (line, seq) {
        (0, _) => String::new(),
        (line, Some(seq)) => format!(" line {line} (seq {seq})"),
        (line, None) => format!(" line {line}"),
    }
}

/// The files of a trail: the segments of a directory, in order, or one file.
pub fn trail_files(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if path.is_dir() {
        Ok(files::segments(path)?.into_iter().map(|(_, p)| p).collect())
    } else {
        std::fs::metadata(path)?;
        Ok(vec![path.to_path_buf()])
    }
}

/// Checks the trail at `path` (a directory of segments, or one segment).
pub fn verify(path: &Path, key: Option<&AuditMacKey>) -> Result<Verified, Broken> {
    let whole = |file: &Path, what: String| Broken { file: file.to_path_buf(), line: 0, seq: None, what };
    let files = trail_files(path).map_err(|e| whole(path, format!("cannot read: {e}")))?;
    let dir = if path.is_dir() { path.to_path_buf() } else { path.parent().unwrap_or(Path::new(".")).to_path_buf() };
    let head = Head::read(&dir).map_err(|e| whole(&dir.join(HEAD_FILE), e.to_string()))?;
    // A single file is checked against the head only when the head names it.
    let head = head.filter(|h| path.is_dir() || path.file_name().is_some_and(|n| n.to_string_lossy() == h.file));
    let mut verified = Verified { macs_checked: key.is_some(), ..Verified::default() };
    if files.is_empty() {
        return Err(whole(path, "no audit files (audit-NNNNNNNN.jsonl)".into()));
    }
    let mut prev: Option<String> = None;
    let mut head_hash_seen = None;
    let mut last_checkpoint = None;
    for (index, file) in files.iter().enumerate() {
        let bytes = std::fs::read(file).map_err(|e| whole(file, format!("cannot read: {e}")))?;
        let mut last_record: Option<Record> = None;
        for (number, raw) in bytes.split_inclusive(|b| *b == b'\n').enumerate() {
            let number = number + 1;
            let bad = |seq, what: String| Broken { file: file.clone(), line: number, seq, what };
            let Some(line) = raw.strip_suffix(b"\n") else {
                return Err(bad(None, "incomplete last line (cut short)".into()));
            };
            let record: Record =
                serde_json::from_slice(line).map_err(|e| bad(None, format!("not an audit record ({e}): altered")))?;
            let seq = Some(record.seq);
            match &prev {
                None => {
                    verified.first_seq = Some(record.seq);
                    if index == 0 && files::segment_number(&name(file)) == Some(1) && path.is_dir() {
                        if record.seq != 1 || record.prev != GENESIS {
                            return Err(bad(seq, "the first record of the trail must be seq 1 after 64 zeros".into()));
                        }
                    } else {
                        verified.notes.push(format!(
                            "the trail checked starts at seq {}; the records before it were not checked",
                            record.seq
                        ));
                    }
                }
                Some(prev_hash) => {
                    let expected = verified.last_seq.unwrap_or(0) + 1;
                    if record.seq != expected {
                        return Err(bad(
                            seq,
                            format!(
                                "sequence number {} where {expected} was due: records removed or reordered",
                                record.seq
                            ),
                        ));
                    }
                    if &record.prev != prev_hash {
                        return Err(bad(
                            seq,
                            "does not chain to the record before it: that record was altered, or records were removed or reordered"
                                .into(),
                        ));
                    }
                }
            }
            match record.kind.as_str() {
                KIND_REQUEST => verified.records += 1,
                KIND_CHECKPOINT => {
                    verified.checkpoints += 1;
                    if let Some(key) = key
                        && !record.checkpoint_mac_valid(key)
                    {
                        let since =
                            last_checkpoint.map_or(String::new(), |s| format!(" (since the checkpoint at seq {s})"));
                        return Err(bad(
                            seq,
                            format!(
                                "checkpoint MAC does not verify: it or a record before it was altered{since}, or the key is not this trail's"
                            ),
                        ));
                    }
                    last_checkpoint = Some(record.seq);
                }
                other => return Err(bad(seq, format!("unknown record kind {other:?}: altered"))),
            }
            let hash = line_hash(line);
            if head.as_ref().is_some_and(|h| h.seq == record.seq) {
                head_hash_seen = Some(hash.clone());
            }
            prev = Some(hash);
            verified.last_seq = Some(record.seq);
            last_record = Some(record);
        }
        let is_last = index + 1 == files.len();
        let ends_rotated = last_record.as_ref().is_some_and(|r| r.checkpoint == Some(CheckpointReason::Rotation));
        if !is_last && !ends_rotated {
            return Err(whole(
                file,
                "does not end with its rotation checkpoint: records were removed from its end".into(),
            ));
        }
        verified.files += 1;
    }
    let last_file = files.last().cloned().unwrap_or_default();
    match head {
        Some(head) => {
            let end = |what: String| Broken { file: last_file.clone(), line: 0, seq: verified.last_seq, what };
            if let Some(key) = key
                && !head.mac_valid(key)
            {
                return Err(whole(&dir.join(HEAD_FILE), "the head's MAC does not verify: altered".into()));
            }
            let last = verified.last_seq.unwrap_or(0);
            if head.seq > last {
                return Err(end(format!(
                    "the trail ends at seq {last} but its head names seq {}: records were removed from the end",
                    head.seq
                )));
            }
            match head_hash_seen {
                Some(hash) if hash == head.hash => {}
                Some(_) => {
                    return Err(end(format!("the record at seq {} is not the one the head names: altered", head.seq)));
                }
                None => {
                    verified.notes.push(format!("the head names seq {}, which is not in the files checked", head.seq))
                }
            }
            if last > head.seq {
                verified.notes.push(format!(
                    "{} record(s) after the head's seq {} are covered by no MAC (written just before a crash?)",
                    last - head.seq,
                    head.seq
                ));
            }
        }
        None if path.is_dir() => {
            return Err(whole(&dir.join(HEAD_FILE), "missing: the end of the trail cannot be checked".into()));
        }
        None => verified.notes.push("no head names this file: removal of its last records is not detected".into()),
    }
    if key.is_none() {
        verified.notes.push(
            "MACs not checked (no key given): the hash chain was, but a rewrite that recomputes every later hash is not detected"
                .into(),
        );
    }
    Ok(verified)
}

fn name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}
